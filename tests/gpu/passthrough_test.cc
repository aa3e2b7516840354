#include "gpu/passthrough.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "gpu/host_files.h"
#include "tests/gpu/fake_tree.h"

namespace gpu {
namespace {

using testing::FakeTree;

std::vector<std::string> paths(const std::vector<sandbox::DeviceNode>& nodes) {
  std::vector<std::string> result;
  result.reserve(nodes.size());
  for (const auto& node : nodes) result.push_back(node.path);
  return result;
}

const sandbox::Mount* mount_at(const std::vector<sandbox::Mount>& mounts,
                               const std::string& target) {
  auto found = std::find_if(mounts.begin(), mounts.end(),
                            [&](const sandbox::Mount& m) { return m.target == target; });
  return found == mounts.end() ? nullptr : &*found;
}

class PassthroughTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tree_.make_driver_nodes()) GTEST_SKIP() << "mknod denied: " << std::strerror(errno);
    std::string problem =
        testing::build_ld_cache(tree_.path("ld.so.cache"), testing::fake_driver_dir("current"));
    if (!problem.empty()) GTEST_SKIP() << problem;
    discovery_.root = tree_.root();
    discovery_.ld_cache = tree_.path("ld.so.cache");
    discovery_.nvml_library.clear();
    options_.staging_dir = tree_.path("staging");
  }
  Passthrough prepared() {
    auto passthrough = Passthrough::prepare(discover(discovery_), options_);
    EXPECT_TRUE(passthrough) << passthrough.error().message;
    return std::move(passthrough.value());
  }
  GpuGrant grant(const Passthrough& passthrough, std::vector<uint32_t> gpus) {
    auto result = passthrough.grant(gpus);
    EXPECT_TRUE(result) << result.error().message;
    return std::move(result.value());
  }
  FakeTree tree_{"two-gpus"};
  DiscoveryOptions discovery_;
  PassthroughOptions options_;
};

TEST_F(PassthroughTest, GrantHoldsTheControlNodesAndOnlyTheGrantedGpu) {
  Passthrough passthrough = prepared();
  GpuGrant g = grant(passthrough, {0});  // bus 0000:3b:00.0, /dev/nvidia1
  EXPECT_EQ(paths(g.devices), (std::vector<std::string>{
                                  tree_.path("dev/nvidiactl"), tree_.path("dev/nvidia-uvm"),
                                  tree_.path("dev/nvidia-uvm-tools"), tree_.path("dev/nvidia1")}));
  EXPECT_EQ(g.devices.back().major, testing::kFakeNvidiaMajor);
  EXPECT_EQ(g.devices.back().minor, 1u);
  EXPECT_EQ(g.env, (std::vector<std::string>{
                       "CUDA_VISIBLE_DEVICES=GPU-8f6a1c2e-1d2b-4c3a-9e8f-0123456789ab",
                       "NVIDIA_VISIBLE_DEVICES=GPU-8f6a1c2e-1d2b-4c3a-9e8f-0123456789ab",
                       "CUDA_DEVICE_ORDER=PCI_BUS_ID"}));
}

TEST_F(PassthroughTest, ProcfsViewShowsOnlyTheGrantedGpu) {
  GpuGrant g = grant(prepared(), {0});
  const sandbox::Mount* tmpfs = mount_at(g.procfs_mounts, "/proc/driver/nvidia");
  ASSERT_NE(tmpfs, nullptr);
  EXPECT_EQ(tmpfs->type, sandbox::MountType::tmpfs);
  EXPECT_EQ(&g.procfs_mounts.front(), tmpfs);  // first: the files go on top of it
  for (const char* name : {"params", "version", "registry"}) {
    const sandbox::Mount* file =
        mount_at(g.procfs_mounts, std::string("/proc/driver/nvidia/") + name);
    ASSERT_NE(file, nullptr) << name;
    EXPECT_EQ(file->type, sandbox::MountType::ro_bind);
    EXPECT_EQ(file->source, tree_.path("staging/") + name);
  }
  const sandbox::Mount* gpu = mount_at(g.procfs_mounts, "/proc/driver/nvidia/gpus/0000:3b:00.0");
  ASSERT_NE(gpu, nullptr);
  EXPECT_EQ(gpu->source, tree_.path("proc/driver/nvidia/gpus/0000:3b:00.0"));
  EXPECT_EQ(mount_at(g.procfs_mounts, "/proc/driver/nvidia/gpus/0000:86:00.0"), nullptr);
  EXPECT_EQ(g.procfs_mounts.size(), 5u);
}

TEST_F(PassthroughTest, StagedParamsForbidDeviceFileChanges) {
  prepared();
  auto params = read_file(tree_.path("staging/params"));
  ASSERT_TRUE(params);
  EXPECT_NE(params->find("ModifyDeviceFiles: 0\n"), std::string::npos) << *params;
  EXPECT_EQ(params->find("ModifyDeviceFiles: 1"), std::string::npos);
  EXPECT_NE(params->find("DeviceFileMode: 438\n"), std::string::npos);
  EXPECT_EQ(read_file(tree_.path("staging/version")),
            read_file(tree_.path("proc/driver/nvidia/version")));
  struct stat info {};
  ASSERT_EQ(::stat(tree_.path("staging/params").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0444u);
  prepared();  // staging again over existing files works
}

TEST_F(PassthroughTest, GpuWithoutUuidIsNamedByOrdinal) {
  GpuGrant g = grant(prepared(), {1});  // bus 0000:86:00.0, /dev/nvidia0, UUID unknown
  EXPECT_EQ(paths(g.devices).back(), tree_.path("dev/nvidia0"));
  EXPECT_EQ(g.env[0], "CUDA_VISIBLE_DEVICES=0");    // its ordinal inside the sandbox
  EXPECT_EQ(g.env[1], "NVIDIA_VISIBLE_DEVICES=1");  // its index on the host
}

TEST_F(PassthroughTest, BothGpus) {
  discovery_.nvml_library = FAKE_NVML_LIBRARY;  // knows every UUID
  GpuGrant g = grant(prepared(), {1, 0});
  EXPECT_EQ(g.gpus, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(g.devices.size(), 5u);
  EXPECT_EQ(g.env[0],
            "CUDA_VISIBLE_DEVICES=GPU-8f6a1c2e-1d2b-4c3a-9e8f-0123456789ab,"
            "GPU-0a0a0a0a-0000-4000-8000-000000000000");
}

TEST_F(PassthroughTest, BadGrantsAreRefused) {
  Passthrough passthrough = prepared();
  EXPECT_FALSE(passthrough.grant(std::vector<uint32_t>{}));
  EXPECT_FALSE(passthrough.grant(std::vector<uint32_t>{0, 0}));
  auto missing = passthrough.grant(std::vector<uint32_t>{2});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("GPU 2 does not exist (this machine has 2)"),
            std::string::npos);
}

TEST_F(PassthroughTest, RefusesWithoutUvmOrLibcuda) {
  std::filesystem::remove(tree_.path("dev/nvidia-uvm"));
  auto no_uvm = Passthrough::prepare(discover(discovery_), options_);
  ASSERT_FALSE(no_uvm);
  EXPECT_NE(no_uvm.error().message.find("/dev/nvidia-uvm is missing"), std::string::npos);
  ASSERT_TRUE(tree_.make_node("nvidia-uvm", testing::kFakeUvmMajor, 0));
  ASSERT_EQ(testing::build_ld_cache(tree_.path("ld.so.cache"), testing::fake_driver_dir("stale")),
            "");
  auto no_libcuda = Passthrough::prepare(discover(discovery_), options_);
  ASSERT_FALSE(no_libcuda);
  EXPECT_NE(no_libcuda.error().message.find("lists no libcuda.so.1 of driver 999.12.34"),
            std::string::npos)
      << no_libcuda.error().message;
}

TEST_F(PassthroughTest, RefusesAStagingDirectoryOthersCanWrite) {
  std::filesystem::create_directories(options_.staging_dir);
  ::chmod(options_.staging_dir.c_str(), 0777);
  auto passthrough = Passthrough::prepare(discover(discovery_), options_);
  ASSERT_FALSE(passthrough);
  EXPECT_NE(passthrough.error().message.find("writable by nobody else"), std::string::npos);
}

TEST_F(PassthroughTest, NoGrantHidesTheDriversProcfs) {
  GpuGrant none = prepared().none();
  EXPECT_TRUE(none.devices.empty());
  EXPECT_TRUE(none.libraries.empty());
  EXPECT_TRUE(none.env.empty());
  ASSERT_EQ(none.procfs_mounts.size(), 1u);
  EXPECT_EQ(none.procfs_mounts[0].type, sandbox::MountType::tmpfs);
  EXPECT_EQ(none.procfs_mounts[0].target, "/proc/driver/nvidia");
  sandbox::Spec spec = sandbox::default_spec({"/bin/true"});
  auto mounts_before = spec.mounts;
  add_to_spec(none, spec);
  ASSERT_EQ(spec.mounts.size(), mounts_before.size() + 1);  // the linker cache is left alone
  EXPECT_TRUE(spec.devices.empty());
}

// Without a Passthrough (no GPU to pass through), a loaded driver's procfs view is covered all
// the same, and only where the sandbox mounts a /proc for it to show in.
TEST(Passthrough, WithoutAPassthroughTheHostsDriverProcfsIsStillHidden) {
  FakeTree tree("");
  const std::string host_proc = tree.path("proc");
  sandbox::Spec spec = sandbox::default_spec({"/bin/true"});
  const size_t before = spec.mounts.size();
  hide_host_gpus(spec, host_proc);
  EXPECT_EQ(spec.mounts.size(), before) << "no driver directory, nothing to hide";
  std::filesystem::create_directories(host_proc + "/driver/nvidia");
  hide_host_gpus(spec, host_proc);
  ASSERT_EQ(spec.mounts.size(), before + 1);
  EXPECT_EQ(spec.mounts.back().type, sandbox::MountType::tmpfs);
  EXPECT_EQ(spec.mounts.back().target, "/proc/driver/nvidia");
  EXPECT_TRUE(spec.devices.empty());
  sandbox::Spec no_proc;
  hide_host_gpus(no_proc, host_proc);
  EXPECT_TRUE(no_proc.mounts.empty());
}

TEST(Passthrough, RefusesWithoutDriver) {
  FakeTree tree("");
  DiscoveryOptions discovery;
  discovery.root = tree.root();
  discovery.nvml_library.clear();
  auto passthrough = Passthrough::prepare(discover(discovery));
  ASSERT_FALSE(passthrough);
  EXPECT_NE(passthrough.error().message.find("no NVIDIA driver on this machine"),
            std::string::npos);
}

TEST_F(PassthroughTest, AddToSpecBindsLibrariesOutsideTheSystemMounts) {
  GpuGrant g = grant(prepared(), {0});
  sandbox::Spec spec = sandbox::default_spec({"/bin/true"});
  spec.env.push_back("CUDA_VISIBLE_DEVICES=7");
  size_t before = spec.mounts.size();
  add_to_spec(g, spec);
  EXPECT_EQ(spec.devices.size(), 4u);
  // The fake libraries live in the build tree, which no system mount shows: each is bound.
  for (const auto& library : g.libraries) {
    const sandbox::Mount* bind = mount_at(spec.mounts, library.path);
    ASSERT_NE(bind, nullptr) << library.path;
    EXPECT_EQ(bind->source, library.file);
    EXPECT_EQ(bind->type, sandbox::MountType::ro_bind);
  }
  // The linker cache bind now points at the cache the libraries came from; no second one.
  auto caches = std::count_if(spec.mounts.begin(), spec.mounts.end(), [](const sandbox::Mount& m) {
    return m.target == "/etc/ld.so.cache";
  });
  EXPECT_EQ(caches, 1);
  EXPECT_EQ(mount_at(spec.mounts, "/etc/ld.so.cache")->source, tree_.path("ld.so.cache"));
  EXPECT_EQ(spec.mounts.size(), before + g.libraries.size() + g.procfs_mounts.size() +
                                    (std::filesystem::exists("/etc/ld.so.cache") ? 0 : 1));
  // The procfs view follows /proc.
  auto proc = std::find_if(spec.mounts.begin(), spec.mounts.end(), [](const sandbox::Mount& m) {
    return m.type == sandbox::MountType::proc;
  });
  auto view = std::find_if(spec.mounts.begin(), spec.mounts.end(), [](const sandbox::Mount& m) {
    return m.target == "/proc/driver/nvidia";
  });
  EXPECT_LT(proc, view);
  EXPECT_EQ(
      std::count_if(spec.env.begin(), spec.env.end(),
                    [](const std::string& e) { return e.starts_with("CUDA_VISIBLE_DEVICES="); }),
      1);
  EXPECT_NE(std::find(spec.env.begin(), spec.env.end(), g.env[0]), spec.env.end());
}

TEST(AddToSpec, LibrariesAlreadyVisibleAreNotBoundAgain) {
  GpuGrant g;
  g.ld_cache = "/etc/ld.so.cache";
  g.libraries = {{"libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
                  "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"},
                 {"libnvidia-ml.so.1", "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1",
                  "/opt/nvidia/lib/libnvidia-ml.so.550.54.15"}};
  sandbox::Spec spec;
  spec.mounts = {{sandbox::MountType::ro_bind, "/usr", "/usr", 0},
                 {sandbox::MountType::ro_bind, "/etc/ld.so.cache", "/etc/ld.so.cache", 0}};
  add_to_spec(g, spec);
  // libcuda: link and file both under /usr. libnvidia-ml: the link is, its file is not.
  ASSERT_EQ(spec.mounts.size(), 3u);
  EXPECT_EQ(spec.mounts[2].source, "/opt/nvidia/lib/libnvidia-ml.so.550.54.15");
  EXPECT_EQ(spec.mounts[2].target, "/opt/nvidia/lib/libnvidia-ml.so.550.54.15");
  EXPECT_EQ(spec.mounts[1].source, "/etc/ld.so.cache");
}

}  // namespace
}  // namespace gpu
