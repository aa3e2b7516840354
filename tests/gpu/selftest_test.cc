// The self-test's plumbing on fake device nodes and a fake probe: which checks it runs, what it
// reports, and that the probe inside the sandbox gets the grant's environment.
#include "gpu/selftest.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tests/fixtures/host_probe.h"
#include "tests/gpu/fake_tree.h"

namespace gpu {
namespace {

using testing::FakeTree;

bool has_line(const SelftestReport& report, const std::string& text) {
  return std::any_of(report.lines.begin(), report.lines.end(),
                     [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

class SelftestTest : public ::testing::Test {
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
    Inventory inventory = discover(discovery);
    inventory.driver_procfs = false;  // this machine's /proc has no /proc/driver/nvidia
    PassthroughOptions options;
    options.staging_dir = tree_.path("staging");
    auto passthrough = Passthrough::prepare(std::move(inventory), options);
    ASSERT_TRUE(passthrough) << passthrough.error().message;
    passthrough_.emplace(std::move(*passthrough));
  }
  // The isolation checks on the fake tree; returns the report's lines for messages.
  std::string expect_isolation_checked(const SelftestReport& report) {
    std::string all;
    for (const auto& line : report.lines) all += line + "\n";
    // Without a grant nothing exists; with GPU 0 (/dev/nvidia1), the other GPU does not exist.
    EXPECT_TRUE(has_line(report, "PASS sandbox without a GPU grant: " + tree_.path("dev/nvidia1") +
                                     ": No such file or directory (as it must)"))
        << all;
    EXPECT_TRUE(has_line(report, "PASS sandbox granted GPU 0: " + tree_.path("dev/nvidia0") +
                                     ": No such file or directory (as it must)"))
        << all;
    // The granted fake nodes reach no driver: on a real GPU these open; here they must fail.
    EXPECT_TRUE(has_line(report, "FAIL sandbox granted GPU 0: " + tree_.path("dev/nvidia1") +
                                     ": No such device or address (should open)"))
        << all;
    return all;
  }

  FakeTree tree_{"two-gpus"};
  std::shared_ptr<sandbox::Runner> runner_;
  std::optional<Passthrough> passthrough_;
};

TEST_F(SelftestTest, ChecksIsolationRunsTheProbeAndCompares) {
  SelftestOptions options{
      {AGENTD_GPU_TOOL}, std::string(AGENTD_FIXTURES_DIR) + "/gpu/fake_probe.sh", 0, 2, true};
  SelftestReport report = run_selftest(*passthrough_, *runner_, options);
  const std::string all = expect_isolation_checked(report);
  EXPECT_EQ(report.outcome, SelftestOutcome::failed);
  // The probe ran in the sandbox with the grant's CUDA_VISIBLE_DEVICES, twice, and outside.
  EXPECT_TRUE(has_line(report,
                       "PASS probe in sandbox: fake GPU-8f6a1c2e-1d2b-4c3a-9e8f-0123456789ab, "
                       "1 device(s) visible"))
      << all;
  EXPECT_EQ(report.figures["sandbox"].size(), 2u);
  EXPECT_EQ(report.figures["direct"].size(), 2u);
  EXPECT_TRUE(has_line(report,
                       "PASS d2d_copy: sandbox 4294.90 GB/s, direct 4294.90 GB/s, "
                       "slowdown in sandbox x1.0000"))
      << all;
  EXPECT_TRUE(has_line(report, "INFO launch_sync: sandbox 6.25 us")) << all;
  EXPECT_DOUBLE_EQ(report.figures["comparison"]["d2d_copy"]["slowdown"].get<double>(), 1.0);
}

// `agentd gpu selftest` runs the same checks with agentd itself as the tool inside the sandboxes
// (`agentd gpu open-check`).
TEST_F(SelftestTest, TheDaemonBinaryServesAsTheToolInsideSandboxes) {
  SelftestOptions options{{AGENTD_DAEMON, "gpu"}, tree_.path("no-probe-here"), 0, 1, false};
  expect_isolation_checked(run_selftest(*passthrough_, *runner_, options));
}

TEST_F(SelftestTest, MissingProbeIsSaidPlainly) {
  SelftestOptions options{{AGENTD_GPU_TOOL}, tree_.path("no-probe-here"), 0, 1, false};
  SelftestReport report = run_selftest(*passthrough_, *runner_, options);
  EXPECT_TRUE(has_line(report, "SKIP CUDA probe: agentd-gpu-probe was not built"));
  EXPECT_FALSE(report.figures.contains("sandbox"));
}

TEST_F(SelftestTest, AFailingProbeIsAFailure) {
  tree_.write(
      "broken-probe",
      "#!/bin/sh\necho '{\"ok\":false,\"error\":\"cudaSetDevice(0): no device\"}'\nexit 1\n");
  ASSERT_EQ(::chmod(tree_.path("broken-probe").c_str(), 0755), 0);
  SelftestOptions options{{AGENTD_GPU_TOOL}, tree_.path("broken-probe"), 0, 1, false};
  SelftestReport report = run_selftest(*passthrough_, *runner_, options);
  EXPECT_TRUE(
      has_line(report, "FAIL probe in sandbox: the probe failed: cudaSetDevice(0): no device"));
  EXPECT_EQ(report.outcome, SelftestOutcome::failed);
}

}  // namespace
}  // namespace gpu
