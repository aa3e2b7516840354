#include "gpu/device_node.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tests/gpu/fake_tree.h"

namespace gpu {
namespace {

using testing::FakeTree;

TEST(DeviceNode, AcceptsACharacterDeviceWithTheExpectedNumbers) {
  FakeTree tree("");
  if (!tree.make_node("nvidia3", testing::kFakeNvidiaMajor, 3))
    GTEST_SKIP() << "mknod denied: " << std::strerror(errno);
  auto node = check_char_device(tree.path("dev/nvidia3"), testing::kFakeNvidiaMajor, 3);
  ASSERT_TRUE(node) << node.error().message;
  EXPECT_EQ(node->path, tree.path("dev/nvidia3"));
  EXPECT_EQ(node->type, 'c');
  EXPECT_EQ(node->major, testing::kFakeNvidiaMajor);
  EXPECT_EQ(node->minor, 3u);
  auto any = check_char_device(tree.path("dev/nvidia3"), std::nullopt, std::nullopt);
  ASSERT_TRUE(any);
  EXPECT_EQ(any->minor, 3u);
}

TEST(DeviceNode, RefusesWrongNumbers) {
  FakeTree tree("");
  if (!tree.make_node("nvidia0", testing::kFakeNvidiaMajor, 1))
    GTEST_SKIP() << "mknod denied: " << std::strerror(errno);
  auto node = check_char_device(tree.path("dev/nvidia0"), testing::kFakeNvidiaMajor, 0);
  ASSERT_FALSE(node);
  EXPECT_NE(node.error().message.find("120:1, expected 120:0"), std::string::npos)
      << node.error().message;
  EXPECT_FALSE(check_char_device(tree.path("dev/nvidia0"), 195, 1));
}

TEST(DeviceNode, RefusesFilesSymlinksAndMissingPaths) {
  FakeTree tree("");
  tree.write("dev/nvidia0", "not a device");
  auto file = check_char_device(tree.path("dev/nvidia0"), std::nullopt, std::nullopt);
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().message.find("not a character device"), std::string::npos);
  // A symlink to a real character device is still refused: lstat sees the link.
  ASSERT_EQ(::symlink("/dev/null", tree.path("dev/nvidia1").c_str()), 0);
  EXPECT_FALSE(check_char_device(tree.path("dev/nvidia1"), std::nullopt, std::nullopt));
  auto missing = check_char_device(tree.path("dev/nvidia9"), std::nullopt, std::nullopt);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("errno 2"), std::string::npos) << missing.error().message;
}

}  // namespace
}  // namespace gpu
