// repo::Repository on real repositories made with the git CLI: worktrees per agent, commits of
// what an agent changed, patches; and hostile repositories whose hooks, filters and configured
// commands try to run something on the host (they must not run: libgit2 runs none of them).
#include "repo/repository.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/repo/git_test_support.h"

namespace repo {
namespace {

namespace fs = std::filesystem;
using test_support::git;
using test_support::read;
using test_support::write;

class RepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/agentd-repo-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    root_ = templ;
    origin_ = root_ / "origin";
    canary_ = root_ / "canary";
    git("init -q -b main " + origin_.string());
    write(origin_ / "src/add.py", "def add(a, b):\n    return a - b\n");
    write(origin_ / "README", "adds\n");
    git_in("add -A");
    git_in("commit -q -m base");
  }
  void TearDown() override { fs::remove_all(root_); }

  void git_in(const std::string& args) { git("-C " + origin_.string() + " " + args); }

  // Every way a repository can ask git to run a command, each one creating the canary. Written
  // as files, so that planting runs none of them.
  void plant_hostile_config() {
    write(origin_ / ".gitattributes", "* filter=evil diff=evil\n");
    git_in("add -A");
    git_in("commit -q -m attributes");
    const std::string touch = "touch " + canary_.string();
    for (const char* hook : {"post-checkout", "pre-commit", "post-commit", "commit-msg",
                             "prepare-commit-msg", "reference-transaction", "post-index-change"}) {
      write(origin_ / ".git/hooks" / hook, "#!/bin/sh\n" + touch + "\n");
      fs::permissions(origin_ / ".git/hooks" / hook, fs::perms::owner_all, fs::perm_options::add);
    }
    std::ofstream config(origin_ / ".git/config", std::ios::app);
    config << "[filter \"evil\"]\n\tsmudge = " << touch << "\n\tclean = " << touch
           << "\n\tprocess = " << touch << "\n\trequired = true\n"
           << "[diff \"evil\"]\n\tcommand = " << touch << "\n\ttextconv = " << touch << "\n"
           << "[diff]\n\texternal = " << touch << "\n"
           << "[core]\n\tfsmonitor = " << touch << "\n\tsshCommand = " << touch
           << "\n\tpager = " << touch << "\n\teditor = " << touch
           << "\n\thooksPath = " << (origin_ / ".git/hooks").string() << "\n"
           << "[credential]\n\thelper = " << touch << "\n";
    config.close();
    // Control: the git CLI does run what was planted.
    const std::string control = "git -C " + origin_.string() +
                                " -c user.name=t -c user.email=t@t commit -q --allow-empty -m "
                                "control >/dev/null 2>&1";
    [[maybe_unused]] int status = std::system(control.c_str());  // the commit itself may fail
    ASSERT_TRUE(fs::exists(canary_)) << "the planted hooks do not run even under git itself";
    fs::remove(canary_);
  }

  fs::path root_, origin_, canary_;
};

TEST_F(RepositoryTest, AWorktreePerAgentCommitsAndDiffsItsOwnChanges) {
  auto repository = Repository::open(origin_);
  ASSERT_TRUE(repository.ok()) << repository.error().message;
  auto base = repository->resolve("HEAD");
  ASSERT_TRUE(base.ok()) << base.error().message;
  EXPECT_EQ(base->size(), 40u);

  auto one = repository->add_worktree("t1-coder-1", "agentd/t1/coder-1", *base, root_ / "w1");
  auto two = repository->add_worktree("t1-coder-2", "agentd/t1/coder-2", *base, root_ / "w2");
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_TRUE(two.ok()) << two.error().message;
  EXPECT_EQ(read(root_ / "w1/src/add.py"), "def add(a, b):\n    return a - b\n");

  // Nothing changed: the head stays the base.
  auto same = repository->commit_all(*one, {"coder-1", "coder-1@agentd.invalid"}, "nothing");
  ASSERT_TRUE(same.ok()) << same.error().message;
  EXPECT_EQ(*same, *base);

  write(root_ / "w1/src/add.py", "def add(a, b):\n    return a + b\n");
  write(root_ / "w1/tests/test_add.py", "from src.add import add\n");
  fs::remove(root_ / "w1/README");
  auto head = repository->commit_all(*one, {"coder-1", "coder-1@agentd.invalid"}, "fix add");
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_NE(*head, *base);
  EXPECT_EQ(*repository->resolve("agentd/t1/coder-1"), *head);
  EXPECT_EQ(*repository->resolve("agentd/t1/coder-2"), *base) << "the other agent's branch moved";
  EXPECT_EQ(*repository->resolve("main"), *base) << "the user's branch moved";

  auto patch = repository->diff(*base, *head, 1 << 20);
  ASSERT_TRUE(patch.ok()) << patch.error().message;
  EXPECT_EQ(patch->files, (std::vector<std::string>{"README", "src/add.py", "tests/test_add.py"}));
  EXPECT_NE(patch->text.find("+    return a + b"), std::string::npos) << patch->text;
  EXPECT_FALSE(patch->truncated);
  // `git apply` takes it on the base.
  write(root_ / "fix.patch", patch->text);
  git("-C " + origin_.string() + " apply --check " + (root_ / "fix.patch").string());
  auto cut = repository->diff(*base, *head, 10);
  EXPECT_EQ(cut->text.size(), 10u);
  EXPECT_TRUE(cut->truncated);

  ASSERT_TRUE(repository->remove_worktree(*one, /*keep_branch=*/true).ok());
  EXPECT_FALSE(fs::exists(origin_ / ".git/worktrees/t1-coder-1"));
  EXPECT_EQ(*repository->resolve("agentd/t1/coder-1"), *head) << "the result branch is kept";
  ASSERT_TRUE(repository->remove_worktree(*two, /*keep_branch=*/false).ok());
  EXPECT_FALSE(repository->resolve("agentd/t1/coder-2").ok());
}

TEST_F(RepositoryTest, AHostileRepositoryRunsNothingOnTheHost) {
  plant_hostile_config();
  auto repository = Repository::open(origin_);
  ASSERT_TRUE(repository.ok()) << repository.error().message;
  auto base = repository->resolve("HEAD");
  auto worktree = repository->add_worktree("t2-coder-1", "agentd/t2/coder-1", *base, root_ / "w");
  std::printf("hostile repository: the worktree %s\n",
              worktree.ok() ? "was checked out" : worktree.error().message.c_str());
  if (worktree.ok()) {
    write(root_ / "w/src/add.py", "def add(a, b):\n    return a + b\n");
    auto head = repository->commit_all(*worktree, {"coder-1", "c@agentd.invalid"}, "fix");
    ASSERT_TRUE(head.ok()) << head.error().message;
    auto patch = repository->diff(*base, *head, 1 << 20);
    ASSERT_TRUE(patch.ok()) << patch.error().message;
    ASSERT_TRUE(repository->remove_worktree(*worktree, false).ok());
  } else {
    // A required filter libgit2 cannot run may refuse the checkout: refused, never run.
    EXPECT_NE(worktree.error().message.find("worktree"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(canary_)) << "a repository-configured command ran on the host";
}

TEST_F(RepositoryTest, TheWorktreesGitFileAndLinksAreNeverFollowed) {
  auto repository = Repository::open(origin_);
  auto base = repository->resolve("HEAD");
  auto worktree = repository->add_worktree("t3-coder-1", "agentd/t3/coder-1", *base, root_ / "w");
  ASSERT_TRUE(worktree.ok()) << worktree.error().message;
  // The agent points its .git file at another repository and links to a host file.
  git("init -q " + (root_ / "other").string());
  write(root_ / "w/.git", "gitdir: " + (root_ / "other/.git").string() + "\n");
  write(root_ / "secret", "host secret\n");
  fs::create_symlink(root_ / "secret", root_ / "w/leak");
  auto head = repository->commit_all(*worktree, {"coder-1", "c@agentd.invalid"}, "tamper");
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(*repository->resolve("agentd/t3/coder-1"), *head) << "committed where it belongs";
  auto patch = repository->diff(*base, *head, 1 << 20);
  EXPECT_EQ(patch->text.find("host secret"), std::string::npos) << "a link was followed";
  EXPECT_NE(patch->text.find("new file mode 120000"), std::string::npos) << patch->text;
  EXPECT_FALSE(fs::exists(root_ / "other/.git/refs/heads/agentd")) << "the other repository";
}

// Agents start and end at once: worktrees are added and removed from several threads, each
// with its own Repository (libgit2 raced on .git/worktrees and on branch deletion).
TEST_F(RepositoryTest, WorktreesComeAndGoInParallel) {
  const std::string base = *Repository::open(origin_)->resolve("HEAD");
  constexpr int kAgents = 8;
  std::vector<std::string> errors(kAgents);
  std::vector<Worktree> made(kAgents);
  auto each = [&](auto&& work) {
    std::vector<std::thread> threads;
    threads.reserve(kAgents);
    for (int i = 0; i < kAgents; ++i) threads.emplace_back(work, i);
    for (std::thread& t : threads) t.join();
  };
  each([&](int i) {
    auto repository = Repository::open(origin_);
    auto worktree =
        repository->add_worktree("p-" + std::to_string(i), "agentd/p/" + std::to_string(i), base,
                                 root_ / ("p" + std::to_string(i)));
    if (worktree)
      made[i] = *worktree;
    else
      errors[i] = worktree.error().message;
  });
  for (const std::string& error : errors) ASSERT_EQ(error, "");
  each([&](int i) {
    auto repository = Repository::open(origin_);
    if (auto s = repository->remove_worktree(made[i], false); !s) errors[i] = s.error().message;
  });
  for (const std::string& error : errors) EXPECT_EQ(error, "");
  EXPECT_FALSE(Repository::open(origin_)->resolve("agentd/p/0").ok());
}

TEST_F(RepositoryTest, BadInputIsRefusedWithWhatWasWrong) {
  auto missing = Repository::open(root_ / "nowhere");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find(root_.string() + "/nowhere"), std::string::npos);
  fs::create_directories(origin_ / "sub");
  EXPECT_FALSE(Repository::open(origin_ / "sub").ok()) << "a parent's repository was found";
  auto repository = Repository::open(origin_);
  auto bad_ref = repository->resolve("no-such-branch");
  ASSERT_FALSE(bad_ref.ok());
  EXPECT_NE(bad_ref.error().message.find("no-such-branch"), std::string::npos);
  auto bad_commit = repository->add_worktree("x", "agentd/x", "1234", root_ / "x");
  ASSERT_FALSE(bad_commit.ok());
  EXPECT_EQ(bad_commit.error().message, "commit \"1234\": expected 40 hexadecimal digits");
  auto base = repository->resolve("HEAD");
  for (const std::string name : {"../../escape", "a/b", ".hidden", ""}) {
    auto refused = repository->add_worktree(name, "agentd/n", *base, root_ / "n");
    ASSERT_FALSE(refused.ok()) << name;
    EXPECT_EQ(refused.error().message.rfind("worktree name \"" + name + "\": expected", 0), 0u)
        << refused.error().message;
    const Worktree named{name, "agentd/n", *base, root_ / "n"};
    EXPECT_FALSE(repository->commit_all(named, {"a", "a@b"}, "m").ok());
    EXPECT_FALSE(repository->remove_worktree(named, false).ok());
  }
  EXPECT_FALSE(repository->resolve("agentd/n").ok()) << "a refused worktree left its branch";
  ASSERT_TRUE(repository->add_worktree("a", "agentd/a", *base, root_ / "a").ok());
  auto again = repository->add_worktree("b", "agentd/a", *base, root_ / "b");
  ASSERT_FALSE(again.ok()) << "a second worktree on one branch";
  EXPECT_FALSE(fs::exists(root_ / "b"));
}

TEST_F(RepositoryTest, WorktreeDiffAndHugeFilesLeftOutOfTheCommit) {
  auto repository = Repository::open(origin_);
  ASSERT_TRUE(repository.ok()) << repository.error().message;
  const std::string base = *repository->resolve("HEAD");
  auto worktree = repository->add_worktree("t3-coder-1", "agentd/t3/coder-1", base, root_ / "w");
  ASSERT_TRUE(worktree.ok()) << worktree.error().message;
  // Every sandbox (each its own host uid) may change the checked-out files.
  EXPECT_EQ(fs::status(root_ / "w/src").permissions() & fs::perms::others_write,
            fs::perms::others_write);
  EXPECT_EQ(fs::status(root_ / "w/src/add.py").permissions() & fs::perms::others_write,
            fs::perms::others_write);

  write(root_ / "w/src/add.py", "def add(a, b):\n    return a + b\n");
  write(root_ / "w/new.txt", "new\n");
  // A sparse file past the cap: costs the disk nothing, and must not reach the repository.
  { std::ofstream huge(root_ / "w/huge.bin"); }
  fs::resize_file(root_ / "w/huge.bin", kMaxCommittedFileBytes + 1);
  auto so_far = repository->diff_worktree(*worktree, 1 << 20);
  ASSERT_TRUE(so_far.ok()) << so_far.error().message;
  EXPECT_NE(so_far->text.find("+    return a + b"), std::string::npos) << so_far->text;
  EXPECT_NE(so_far->text.find("+new"), std::string::npos) << "new files are part of it";

  std::vector<std::string> too_large;
  auto head = repository->commit_all(*worktree, {"coder-1", "c@agentd.invalid"}, "m", &too_large);
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(too_large, std::vector<std::string>{"huge.bin"});
  auto patch = repository->diff(base, *head, 1 << 20);
  EXPECT_EQ(patch->files, (std::vector<std::string>{"new.txt", "src/add.py"}));
}

}  // namespace
}  // namespace repo
