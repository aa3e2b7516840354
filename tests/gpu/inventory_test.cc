#include "gpu/inventory.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/gpu/fake_tree.h"

namespace gpu {
namespace {

using testing::FakeTree;
using testing::kFakeNvidiaMajor;
using testing::kFakeUvmMajor;

bool has_note(const Inventory& inventory, const std::string& text) {
  return std::any_of(inventory.notes.begin(), inventory.notes.end(),
                     [&](const std::string& note) { return note.find(text) != std::string::npos; });
}

class InventoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tree_.make_driver_nodes()) GTEST_SKIP() << "mknod denied: " << std::strerror(errno);
    std::string problem =
        testing::build_ld_cache(tree_.path("ld.so.cache"), testing::fake_driver_dir("current"));
    if (!problem.empty()) GTEST_SKIP() << problem;
    options_.root = tree_.root();
    options_.ld_cache = tree_.path("ld.so.cache");
    options_.nvml_library.clear();
  }
  FakeTree tree_{"two-gpus"};
  DiscoveryOptions options_;
};

TEST_F(InventoryTest, FindsBothGpusInBusOrder) {
  Inventory inventory = discover(options_);
  EXPECT_EQ(inventory.driver_version, "999.12.34");
  EXPECT_TRUE(inventory.driver_procfs);
  ASSERT_EQ(inventory.gpus.size(), 2u);
  // Bus order, not minor order: 0000:3b is /dev/nvidia1.
  EXPECT_EQ(inventory.gpus[0].index, 0u);
  EXPECT_EQ(inventory.gpus[0].bus_id, "0000:3b:00.0");
  EXPECT_EQ(inventory.gpus[0].minor, 1u);
  EXPECT_EQ(inventory.gpus[0].node.path, tree_.path("dev/nvidia1"));
  EXPECT_EQ(inventory.gpus[0].node.major, kFakeNvidiaMajor);
  EXPECT_EQ(inventory.gpus[0].uuid, "GPU-8f6a1c2e-1d2b-4c3a-9e8f-0123456789ab");
  EXPECT_EQ(inventory.gpus[1].bus_id, "0000:86:00.0");
  EXPECT_EQ(inventory.gpus[1].minor, 0u);
  EXPECT_EQ(inventory.gpus[1].uuid, "");
  EXPECT_FALSE(inventory.gpus[1].memory_total_bytes);
}

TEST_F(InventoryTest, FindsControlNodesAndLibraries) {
  Inventory inventory = discover(options_);
  ASSERT_NE(inventory.control_node("nvidiactl"), nullptr);
  EXPECT_EQ(inventory.control_node("nvidiactl")->minor, 255u);
  ASSERT_NE(inventory.control_node("nvidia-uvm"), nullptr);
  EXPECT_EQ(inventory.control_node("nvidia-uvm")->major, kFakeUvmMajor);
  ASSERT_NE(inventory.control_node("nvidia-uvm-tools"), nullptr);
  EXPECT_EQ(inventory.control_node("nvidia-uvm-tools")->minor, 1u);
  EXPECT_EQ(inventory.libraries.size(), 5u);
}

TEST_F(InventoryTest, NvmlFillsInWhatProcfsLacks) {
  options_.nvml_library = FAKE_NVML_LIBRARY;
  Inventory inventory = discover(options_);
  ASSERT_EQ(inventory.gpus.size(), 2u);
  // GPU 1 (minor 0) had no UUID in procfs; NVML knows it and its memory.
  EXPECT_EQ(inventory.gpus[1].uuid, "GPU-0a0a0a0a-0000-4000-8000-000000000000");
  EXPECT_EQ(inventory.gpus[1].memory_total_bytes, 150'000'000'000ull);
  EXPECT_EQ(inventory.gpus[1].utilization_percent, 7u);
  auto json = to_json(inventory);
  EXPECT_EQ(json["gpus"][1]["utilization_percent"], 7);
  EXPECT_NE(describe(inventory).find("GPU 1: NVIDIA H200, bus 0000:86:00.0"), std::string::npos)
      << describe(inventory);
}

TEST_F(InventoryTest, WithoutProcfsNvmlListsTheGpus) {
  std::filesystem::remove_all(tree_.path("proc/driver"));
  options_.nvml_library = FAKE_NVML_LIBRARY;
  Inventory inventory = discover(options_);
  EXPECT_EQ(inventory.driver_version, "999.12.34");  // from NVML
  EXPECT_FALSE(inventory.driver_procfs);
  ASSERT_EQ(inventory.gpus.size(), 2u);
  EXPECT_EQ(inventory.gpus[0].minor, 0u);
  EXPECT_EQ(inventory.gpus[0].bus_id, "");
}

TEST_F(InventoryTest, WrongNodesAreLeftOutWithAReason) {
  ASSERT_TRUE(tree_.make_node("nvidia0", kFakeNvidiaMajor, 7));  // numbers do not match minor 0
  std::filesystem::remove(tree_.path("dev/nvidia-uvm"));
  Inventory inventory = discover(options_);
  ASSERT_EQ(inventory.gpus.size(), 1u);
  EXPECT_EQ(inventory.gpus[0].minor, 1u);
  EXPECT_TRUE(has_note(inventory, "GPU 0000:86:00.0 left out"));
  EXPECT_EQ(inventory.control_node("nvidia-uvm"), nullptr);
  EXPECT_TRUE(has_note(inventory, "dev/nvidia-uvm: lstat failed"));
}

TEST(Inventory, NoDriverSaysSo) {
  FakeTree tree("");
  DiscoveryOptions options;
  options.root = tree.root();
  options.nvml_library = "libagentd-no-such-nvml.so.1";
  Inventory inventory = discover(options);
  EXPECT_EQ(inventory.driver_version, "");
  EXPECT_TRUE(inventory.gpus.empty());
  std::string text = describe(inventory);
  EXPECT_EQ(text.rfind("no NVIDIA driver found\n", 0), 0u) << text;
  EXPECT_NE(text.find("NVIDIA kernel driver not loaded"), std::string::npos) << text;
  EXPECT_NE(text.find("NVML: cannot load"), std::string::npos) << text;
}

TEST(Inventory, UnreadableVersionIsNoted) {
  FakeTree tree("two-gpus");
  tree.write("proc/driver/nvidia/version", "NVRM version: something new\n");
  DiscoveryOptions options;
  options.root = tree.root();
  options.nvml_library.clear();
  Inventory inventory = discover(options);
  EXPECT_EQ(inventory.driver_version, "");
  EXPECT_TRUE(has_note(inventory,
                       "version: no \"NVRM version: ... Kernel Module X.Y.Z\" line in: "
                       "NVRM version: something new"));
}

TEST(Inventory, DriverWithoutGpusSaysSo) {
  FakeTree tree("two-gpus");
  std::filesystem::remove_all(tree.path("proc/driver/nvidia/gpus"));
  DiscoveryOptions options;
  options.root = tree.root();
  options.nvml_library.clear();
  Inventory inventory = discover(options);
  EXPECT_EQ(inventory.driver_version, "999.12.34");
  EXPECT_NE(describe(inventory).find("loaded, but no usable GPU found"), std::string::npos);
}

}  // namespace
}  // namespace gpu
