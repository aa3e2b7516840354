// End to end through sandbox::Runner with fake device nodes: what a sandbox can open is decided
// by the grant alone. The fake nodes use majors no driver owns, so a node the sandbox may open
// answers ENXIO (the device cgroup let the open through to a driver that is not there), a node
// the device cgroup refuses answers EPERM, and a node not bound answers ENOENT.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "gpu/open_check.h"
#include "gpu/passthrough.h"
#include "tests/fixtures/host_probe.h"
#include "tests/gpu/fake_tree.h"

namespace gpu {
namespace {

using testing::FakeTree;

class SandboxIsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tree_.make_driver_nodes()) GTEST_SKIP() << "mknod denied: " << std::strerror(errno);
    std::string problem =
        testing::build_ld_cache(tree_.path("ld.so.cache"), testing::fake_driver_dir("current"));
    if (!problem.empty()) GTEST_SKIP() << problem;
    auto runner = sandbox::Runner::create();
    if (!runner) AGENTD_SKIP_UNLESS_HOST_CAN_SANDBOX(runner.error().message);
    runner_ = *runner;
    DiscoveryOptions discovery;
    discovery.root = tree_.root();
    discovery.ld_cache = tree_.path("ld.so.cache");
    discovery.nvml_library.clear();
    PassthroughOptions options;
    options.staging_dir = tree_.path("staging");
    Inventory inventory = discover(discovery);
    inventory.driver_procfs = false;  // this machine's /proc has no /proc/driver/nvidia
    auto passthrough = Passthrough::prepare(std::move(inventory), options);
    ASSERT_TRUE(passthrough) << passthrough.error().message;
    passthrough_.emplace(std::move(*passthrough));
    paths_ = {tree_.path("dev/nvidiactl"), tree_.path("dev/nvidia-uvm"),
              tree_.path("dev/nvidia-uvm-tools"), tree_.path("dev/nvidia0"),
              tree_.path("dev/nvidia1")};
  }

  std::map<std::string, int> open_all(const GpuGrant& grant) {
    auto opened = open_in_sandbox(*runner_, {AGENTD_GPU_TOOL}, grant, paths_);
    EXPECT_TRUE(opened) << opened.error().message;
    return opened ? *opened : std::map<std::string, int>{};
  }

  FakeTree tree_{"two-gpus"};
  std::shared_ptr<sandbox::Runner> runner_;
  std::optional<Passthrough> passthrough_;
  std::vector<std::string> paths_;
};

TEST_F(SandboxIsolationTest, WithoutAGrantNoNvidiaNodeExists) {
  for (const auto& [path, error] : open_all(passthrough_->none())) {
    EXPECT_EQ(error, ENOENT) << path << ": " << std::strerror(error);
  }
}

TEST_F(SandboxIsolationTest, GrantedGpuOneCannotOpenGpuZero) {
  auto grant = passthrough_->grant(std::vector<uint32_t>{1});  // bus 0000:86:00.0: /dev/nvidia0
  ASSERT_TRUE(grant) << grant.error().message;
  auto opened = open_all(*grant);
  ASSERT_EQ(opened.size(), 5u);
  for (const char* granted :
       {"dev/nvidiactl", "dev/nvidia-uvm", "dev/nvidia-uvm-tools", "dev/nvidia0"}) {
    EXPECT_EQ(opened[tree_.path(granted)], ENXIO)
        << granted << ": " << std::strerror(opened[tree_.path(granted)])
        << " (EPERM would mean the device cgroup refused it)";
  }
  EXPECT_EQ(opened[tree_.path("dev/nvidia1")], ENOENT) << "the other GPU must not exist inside";
}

}  // namespace
}  // namespace gpu
