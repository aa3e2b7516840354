#include "gpu/driver_libraries.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "tests/gpu/fake_tree.h"

namespace gpu {
namespace {

using testing::build_ld_cache;
using testing::fake_driver_dir;
using testing::FakeTree;

const DriverLibrary* find(const LibrarySelection& selection, const std::string& soname) {
  auto found = std::find_if(selection.libraries.begin(), selection.libraries.end(),
                            [&](const DriverLibrary& l) { return l.soname == soname; });
  return found == selection.libraries.end() ? nullptr : &*found;
}

// Files are reported with symlinks resolved, so the build directory may be reached through one.
std::string real_dir(const std::string& subdir) {
  return std::filesystem::canonical(fake_driver_dir(subdir)).string();
}

// The stale directory comes first, so the first libcuda.so.1 in the cache is the old driver's.
class DriverLibrariesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string problem = build_ld_cache(
        tree_.path("ld.so.cache"), fake_driver_dir("stale") + " " + fake_driver_dir("current"));
    if (!problem.empty()) GTEST_SKIP() << problem;
    auto cache = read_ld_cache(tree_.path("ld.so.cache"));
    ASSERT_TRUE(cache) << cache.error().message;
    cache_ = std::move(*cache);
  }
  FakeTree tree_{""};
  std::vector<LdCacheEntry> cache_;
};

TEST_F(DriverLibrariesTest, ChoosesTheRunningDriversVersion) {
  auto selection = select_driver_libraries(cache_, FAKE_DRIVER_VERSION);
  const DriverLibrary* libcuda = find(selection, "libcuda.so.1");
  ASSERT_NE(libcuda, nullptr);
  EXPECT_EQ(libcuda->file, real_dir("current") + "/libcuda.so." + std::string(FAKE_DRIVER_VERSION));
  EXPECT_EQ(libcuda->path, fake_driver_dir("current") + "/libcuda.so.1");
  EXPECT_NE(find(selection, "libnvidia-ml.so.1"), nullptr);
  EXPECT_NE(find(selection, "libnvidia-ptxjitcompiler.so.1"), nullptr);
  EXPECT_NE(find(selection, "libnvidia-nvvm.so.4"), nullptr);
  EXPECT_NE(find(selection, std::string("libnvidia-gpucomp.so.") + FAKE_DRIVER_VERSION), nullptr);
  // Not driver libraries: the CUDA runtime, and unversioned development links.
  EXPECT_EQ(find(selection, "libcudart.so.12"), nullptr);
  EXPECT_EQ(find(selection, "libcuda.so"), nullptr);
  EXPECT_EQ(selection.libraries.size(), 5u);
}

TEST_F(DriverLibrariesTest, StaleVersionIsSkippedWithAReason) {
  auto selection = select_driver_libraries(cache_, FAKE_DRIVER_VERSION);
  bool stale_skipped =
      std::any_of(selection.skipped.begin(), selection.skipped.end(), [](const std::string& s) {
        return s.find("libcuda.so.998.1.1, not of driver") != std::string::npos;
      });
  EXPECT_TRUE(stale_skipped);
}

TEST_F(DriverLibrariesTest, OtherDriverVersionFindsOnlyItsOwn) {
  auto selection = select_driver_libraries(cache_, "998.1.1");
  ASSERT_EQ(selection.libraries.size(), 1u);
  EXPECT_EQ(selection.libraries[0].file, real_dir("stale") + "/libcuda.so.998.1.1");
  EXPECT_TRUE(select_driver_libraries(cache_, "1.2.3").libraries.empty());
}

TEST(DriverLibraries, DanglingCacheEntryIsSkipped) {
  std::vector<LdCacheEntry> cache = {{"libcuda.so.1", "/nonexistent/libcuda.so.1"}};
  auto selection = select_driver_libraries(cache, "550.54.15");
  EXPECT_TRUE(selection.libraries.empty());
  ASSERT_EQ(selection.skipped.size(), 1u);
  EXPECT_NE(selection.skipped[0].find("/nonexistent/libcuda.so.1"), std::string::npos);
}

}  // namespace
}  // namespace gpu
