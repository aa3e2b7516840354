// WorkspaceDir: the owner of a workspace directory removes it with everything a sandbox left
// in it, and never follows a symlink the sandbox planted out of it; it removes only what it
// made, and a nest deeper than any fd or stack budget goes too.
#include "agents/tools/workspace_dir.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>

#include "base/unique_fd.h"

namespace agents::tools {
namespace {

namespace fs = std::filesystem;

class WorkspaceDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agentd-workspace-dir-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    base_ = pattern;
    outside_ = base_ / "outside";
    fs::create_directories(outside_ / "sub");
    std::ofstream(outside_ / "secret.txt") << "secret";
    std::ofstream(outside_ / "sub" / "deep.txt") << "deep";
  }
  void TearDown() override {
    std::error_code ignored;  // a failed test may leave a nest too deep for remove_all
    if (!remove_tree(base_)) fs::remove_all(base_, ignored);
  }

  WorkspaceDir make(const std::string& name, mode_t mode = 0777) {
    auto made = WorkspaceDir::make(base_ / name, mode);
    EXPECT_TRUE(made) << made.error().message;
    return std::move(made.value());
  }
  // Whatever the sandbox could leave: files, nested directories, links out of the workspace.
  void fill(const fs::path& dir) {
    fs::create_directories(dir / "src" / "pkg");
    std::ofstream(dir / "src" / "pkg" / "main.py") << "print(1)";
    std::ofstream(dir / "top.txt") << "top";
    ::mkfifo((dir / "fifo").c_str(), 0600);
    fs::create_directory_symlink(outside_, dir / "out");
    fs::create_directory_symlink("../outside/sub", dir / "src" / "rel_out");
    fs::create_symlink(outside_ / "secret.txt", dir / "src" / "pkg" / "secret_link");
    fs::create_symlink("/nonexistent", dir / "dangling");
    // A directory its owner made unreadable (the daemon is root: it still reads it).
    if (::geteuid() == 0) ::chmod((dir / "src" / "pkg").c_str(), 0);
  }
  void expect_outside_untouched() {
    EXPECT_TRUE(fs::exists(outside_ / "secret.txt"));
    EXPECT_TRUE(fs::exists(outside_ / "sub" / "deep.txt"));
  }

  fs::path base_;
  fs::path outside_;
};

TEST_F(WorkspaceDirTest, IsMadeWithExactlyTheModeWhateverTheUmask) {
  const mode_t old_umask = ::umask(077);
  std::optional<WorkspaceDir> dir(make("ws", 0777));
  ::umask(old_umask);
  struct stat status {};
  ASSERT_EQ(::lstat(dir->path().c_str(), &status), 0);
  EXPECT_TRUE(S_ISDIR(status.st_mode));
  EXPECT_EQ(status.st_mode & 07777, 0777u);
}

TEST_F(WorkspaceDirTest, TheTreeGoesWithItsOwnerAndNoSymlinkIsFollowed) {
  std::optional<WorkspaceDir> dir(make("ws"));
  const fs::path path = dir->path();
  fill(path);
  dir.reset();
  EXPECT_FALSE(fs::exists(fs::symlink_status(path)));
  expect_outside_untouched();
}

TEST_F(WorkspaceDirTest, TheWorkspaceItselfSwappedForASymlinkIsUnlinkedNotFollowed) {
  std::optional<WorkspaceDir> dir(make("ws"));
  const fs::path path = dir->path();
  fs::remove(path);
  fs::create_directory_symlink(outside_, path);
  dir.reset();
  EXPECT_FALSE(fs::exists(fs::symlink_status(path)));
  expect_outside_untouched();
}

TEST_F(WorkspaceDirTest, MakeRefusesAnExistingPathAndLeavesItAlone) {
  fs::create_directories(base_ / "taken");
  std::ofstream(base_ / "taken" / "keep.txt") << "keep";
  auto made = WorkspaceDir::make(base_ / "taken", 0777);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().sys_errno, EEXIST);
  EXPECT_NE(made.error().message.find("mkdir " + (base_ / "taken").string()), std::string::npos)
      << made.error().message;
  EXPECT_TRUE(fs::exists(base_ / "taken" / "keep.txt"));
}

TEST_F(WorkspaceDirTest, ReleaseKeepsTheDirectory) {
  std::optional<WorkspaceDir> dir(make("ws"));
  const fs::path path = dir->path();
  EXPECT_EQ(dir->release(), path);
  EXPECT_TRUE(dir->path().empty());
  dir.reset();
  EXPECT_TRUE(fs::is_directory(path));
}

TEST_F(WorkspaceDirTest, OwnershipMovesWithTheOwner) {
  std::optional<WorkspaceDir> first(make("first"));
  std::optional<WorkspaceDir> second(make("second"));
  const fs::path first_path = first->path();
  const fs::path second_path = second->path();
  *second = std::move(*first);  // the second's own directory goes now
  EXPECT_FALSE(fs::exists(second_path));
  first.reset();  // moved from: owns nothing
  EXPECT_TRUE(fs::is_directory(first_path));
  second.reset();
  EXPECT_FALSE(fs::exists(first_path));
}

// Deeper than a path may be long, and than the fds a recursive walk would hold.
TEST_F(WorkspaceDirTest, ADeepNestGoesToo) {
  std::optional<WorkspaceDir> dir(make("ws"));
  base::UniqueFd at(::open(dir->path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(at);
  for (int depth = 0; depth < 3000; ++depth) {
    ASSERT_EQ(::mkdirat(at.get(), "nest-level", 0755), 0) << depth;
    at.reset(::openat(at.get(), "nest-level", O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(at) << depth;
  }
  ASSERT_EQ(::symlinkat(outside_.c_str(), at.get(), "out"), 0);
  at.reset();
  const fs::path path = dir->path();
  dir.reset();
  EXPECT_FALSE(fs::exists(fs::symlink_status(path)));
  expect_outside_untouched();
}

TEST_F(WorkspaceDirTest, RemoveTreeOfNothingIsNoError) {
  EXPECT_TRUE(remove_tree(base_ / "missing"));
  EXPECT_TRUE(remove_tree(base_ / "missing" / "below"));
}

}  // namespace
}  // namespace agents::tools
