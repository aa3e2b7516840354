// TaskRepository: an agent's worktree (an overlay of the task's one checkout of the base where
// this process may mount, a full checkout otherwise), its commit, the manifest that pruning
// reads, and what pruning leaves: the result's branch only.
#include "agents/runtime/task_repository.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace agents::runtime {
namespace {

namespace fs = std::filesystem;

// Each test runs with overlays (where this process may mount) and with full checkouts.
class TaskRepositoryTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "git is not installed";
    char templ[] = "/tmp/agentd-task-repo-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    root_ = templ;
    origin_ = root_ / "origin";
    task_dir_ = root_ / "task";
    fs::create_directories(task_dir_);
    git("init -q " + origin_.string());
    write(origin_ / "src/add.py", "def add(a, b):\n    return a - b\n");
    git("-C " + origin_.string() + " add -A");
    git("-C " + origin_.string() + " commit -q -m base");
  }
  void TearDown() override {
    repository_.reset();  // unmounts its overlays first
    if (!root_.empty()) fs::remove_all(root_);
  }

  static void git(const std::string& args) {
    const std::string command =
        "git -c user.name=t -c user.email=t@t -c init.defaultBranch=main " + args;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  static void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  static std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::string branches() const {
    std::string out;
    const std::string command = "git -C " + origin_.string() + " branch --list 'agentd/*'";
    FILE* pipe = ::popen(command.c_str(), "r");
    for (char buffer[256]; pipe && std::fgets(buffer, sizeof buffer, pipe);) out += buffer;
    if (pipe) ::pclose(pipe);
    return out;
  }

  void open() {
    RepositorySpec spec;
    spec.path = origin_.string();
    auto opened = TaskRepository::open(spec, task_dir_, "t-1", /*overlays=*/GetParam());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    repository_ = std::move(*opened);
  }

  fs::path root_, origin_, task_dir_;
  std::unique_ptr<TaskRepository> repository_;
};

TEST_P(TaskRepositoryTest, EachAgentWorksOnItsOwnBranchAndOnlyTheResultsBranchOutlivesPruning) {
  open();
  auto one = repository_->add_worktree("coder-1", task_dir_ / "coder-1", "");
  auto two = repository_->add_worktree("coder-2", task_dir_ / "coder-2", "");
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_TRUE(two.ok()) << two.error().message;
  EXPECT_EQ(one->branch, "agentd/t-1/coder-1");
  EXPECT_EQ(read(task_dir_ / "coder-1/src/add.py"), "def add(a, b):\n    return a - b\n");
  if (!GetParam()) {
    EXPECT_EQ(repository_->worktree_mode(), "checkout");
  }
  std::cout << "worktrees: " << repository_->worktree_mode() << "\n";

  // One agent's change stays in its own worktree (and, with overlays, out of the shared files).
  write(task_dir_ / "coder-1/src/add.py", "def add(a, b):\n    return a + b\n");
  EXPECT_EQ(read(task_dir_ / "coder-2/src/add.py"), "def add(a, b):\n    return a - b\n");
  if (repository_->worktree_mode() == "overlay") {
    EXPECT_EQ(read(task_dir_ / ".base/src/add.py"), "def add(a, b):\n    return a - b\n");
  }

  auto committed = repository_->commit("coder-1", "fix");
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_NE(committed->head, committed->base);
  EXPECT_EQ(committed->files, std::vector<std::string>{"src/add.py"});
  auto unchanged = repository_->commit("coder-2", "nothing");
  ASSERT_TRUE(unchanged.ok()) << unchanged.error().message;
  EXPECT_EQ(unchanged->head, unchanged->base);
  ASSERT_TRUE(repository_->keep(committed->branch).ok());

  repository_.reset();  // the task ended
  ASSERT_TRUE(TaskRepository::prune(task_dir_).ok());
  EXPECT_EQ(branches(), "  agentd/t-1/coder-1\n") << "only the result's branch is kept";
  EXPECT_FALSE(fs::exists(origin_ / ".git/worktrees/t-1-coder-1"));
  EXPECT_FALSE(fs::exists(origin_ / ".git/worktrees/t-1-coder-2"));
}

TEST_P(TaskRepositoryTest, AResumedAgentStartsOverOnAFreshBranch) {
  open();
  ASSERT_TRUE(repository_->add_worktree("coder-1", task_dir_ / "coder-1", "").ok());
  write(task_dir_ / "coder-1/half-done.txt", "before the restart\n");
  repository_.reset();  // the daemon died; a new one resumes the task
  open();
  auto again = repository_->add_worktree("coder-1", task_dir_ / "coder-1", "");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(fs::exists(task_dir_ / "coder-1/half-done.txt"));
  EXPECT_TRUE(fs::exists(task_dir_ / "coder-1/src/add.py"));
}

TEST_P(TaskRepositoryTest, SpecialAndHugeFilesAnAgentLeftAreNotCommitted) {
  open();
  ASSERT_TRUE(repository_->add_worktree("coder-1", task_dir_ / "coder-1", "").ok());
  // A FIFO that nobody writes would block a reader forever; a socket cannot be read at all.
  ASSERT_EQ(::mkfifo((task_dir_ / "coder-1/pipe").c_str(), 0666), 0);
  write(task_dir_ / "coder-1/real.txt", "text\n");
  { std::ofstream huge(task_dir_ / "coder-1/huge.bin"); }
  fs::resize_file(task_dir_ / "coder-1/huge.bin", uint64_t{1} << 30);  // sparse: costs nothing
  auto committed = repository_->commit("coder-1", "m");
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_EQ(committed->files, std::vector<std::string>{"real.txt"});
  EXPECT_EQ(committed->too_large, std::vector<std::string>{"huge.bin"});
}

TEST_P(TaskRepositoryTest, WhatADeadDaemonLeftIsFreedAndPruned) {
  open();
  ASSERT_TRUE(repository_->add_worktree("coder-1", task_dir_ / "coder-1", "").ok());
  repository_.reset();
  // Killed while changing the repository: locks of its own, and a branch it made but never
  // recorded in the manifest. Another task's lock and the user's branch are not its own.
  write(origin_ / ".git/worktrees/t-1-coder-1/index.lock", "");
  write(origin_ / ".git/refs/heads/agentd/t-1/coder-2.lock", "");
  write(origin_ / ".git/refs/heads/agentd/t-2/coder-1.lock", "");
  git("-C " + origin_.string() + " branch agentd/t-1/coder-9");
  git("-C " + origin_.string() + " branch feature");
  open();  // the task resumes: its own stale locks go
  EXPECT_FALSE(fs::exists(origin_ / ".git/worktrees/t-1-coder-1/index.lock"));
  EXPECT_FALSE(fs::exists(origin_ / ".git/refs/heads/agentd/t-1/coder-2.lock"));
  EXPECT_TRUE(fs::exists(origin_ / ".git/refs/heads/agentd/t-2/coder-1.lock"));
  repository_.reset();
  ASSERT_TRUE(TaskRepository::prune(task_dir_).ok());
  EXPECT_EQ(branches(), "") << "the unrecorded branch went too";
  EXPECT_FALSE(fs::exists(origin_ / ".git/worktrees/t-1-coder-1"));
  EXPECT_TRUE(fs::exists(origin_ / ".git/refs/heads/feature"));
}

TEST_P(TaskRepositoryTest, PruningATaskWithoutAManifestDoesNothing) {
  EXPECT_TRUE(TaskRepository::prune(root_ / "no-such-task").ok());
  write(task_dir_ / "repository.json", "not json");
  EXPECT_FALSE(TaskRepository::prune(task_dir_).ok());
}

INSTANTIATE_TEST_SUITE_P(Files, TaskRepositoryTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Overlay" : "Checkout"; });

}  // namespace
}  // namespace agents::runtime
