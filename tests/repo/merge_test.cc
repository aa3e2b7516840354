// repo::merge_branches and friends on repositories made with the git CLI: disjoint branches
// merge as `git merge` merges them; a conflict stops the merge with markers in the merger's
// worktree and keeps what merged before it; deleted-against-changed and added-on-both-sides
// conflicts; concluding after the conflict is edited, and abandoning it; and a merge driver the
// repository configures, which git itself runs (the control) and the merge here does not.
#include "repo/merge.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/repo/git_test_support.h"

namespace repo {
namespace {

namespace fs = std::filesystem;
using test_support::git;
using test_support::output;
using test_support::read;
using test_support::write;

const Signature kMerger{"merger-1 (agentd task t1)", "merger-1@agentd.invalid"};

class MergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "needs the git CLI";
    char templ[] = "/tmp/agentd-merge-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    root_ = templ;
    origin_ = root_ / "origin";
    git("init -q -b main " + origin_.string());
    write(origin_ / "src/add.py", "def add(a, b):\n    return a - b\n");
    write(origin_ / "src/mul.py", "def mul(a, b):\n    return a + b\n");
    write(origin_ / "shared.py", "first = 1\nvalue = 0\nlast = 2\n");
    write(origin_ / "README", "adds\n");
    commit_all("base");
  }
  void TearDown() override {
    if (!root_.empty()) fs::remove_all(root_);
  }

  void git_in(const std::string& args) { git("-C " + origin_.string() + " " + args); }
  std::string git_output(const std::string& args) {
    return output("git -C " + origin_.string() + " " + args);
  }
  void commit_all(const std::string& message) {
    git_in("add -A");
    git_in("commit -q -m '" + message + "'");
  }
  // A branch from main with `change` applied to the origin's files.
  template <class Change>
  void branch(const std::string& name, Change change) {
    git_in("checkout -q -b " + name + " main");
    change();
    commit_all(name);
    git_in("checkout -q main");
  }

  // The merger's worktree at main, and the merge of `names` onto it.
  void open_merger() {
    auto opened = Repository::open(origin_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    repository_.emplace(std::move(*opened));
    auto base = repository_->resolve("main");
    ASSERT_TRUE(base.ok()) << base.error().message;
    base_ = *base;
    auto worktree =
        repository_->add_worktree("t1-merger-1", "agentd/t1/merger-1", base_, root_ / "merger");
    ASSERT_TRUE(worktree.ok()) << worktree.error().message;
    worktree_ = *worktree;
  }
  base::Expected<MergeProgress> merge(const std::vector<std::string>& names) {
    std::vector<MergeSource> sources;
    sources.reserve(names.size());
    for (const std::string& name : names) sources.push_back({name, *repository_->resolve(name)});
    return merge_branches(*repository_, worktree_, sources, kMerger);
  }
  std::string parents_of(const std::string& commit) {
    return git_output("rev-list --parents -n 1 " + commit);
  }

  fs::path root_, origin_;
  std::optional<Repository> repository_;
  std::string base_;
  Worktree worktree_;
};

TEST_F(MergeTest, DisjointBranchesMergeAsGitMergeDoes) {
  branch("one", [&] { write(origin_ / "src/add.py", "def add(a, b):\n    return a + b\n"); });
  branch("two", [&] {
    write(origin_ / "src/mul.py", "def mul(a, b):\n    return a * b\n");
    write(origin_ / "src/sub.py", "def sub(a, b):\n    return a - b\n");
  });
  branch("three", [&] { fs::remove(origin_ / "README"); });
  open_merger();
  auto progress = merge({"one", "two", "three"});
  ASSERT_TRUE(progress.ok()) << progress.error().message;
  EXPECT_FALSE(progress->conflict.has_value());
  EXPECT_EQ(progress->merged, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(*repository_->resolve("agentd/t1/merger-1"), progress->head);
  EXPECT_EQ(*repository_->resolve("main"), base_) << "the user's branch moved";
  // Each a merge commit of what came before and the branch, by the merger.
  EXPECT_EQ(parents_of(progress->head), progress->head + " " +
                                            git_output("rev-parse " + progress->head + "^1") + " " +
                                            *repository_->resolve("three"));
  EXPECT_EQ(git_output("log -1 --format=%an " + progress->head), kMerger.name);
  // The worktree shows the merged files.
  EXPECT_EQ(read(root_ / "merger/src/add.py"), "def add(a, b):\n    return a + b\n");
  EXPECT_EQ(read(root_ / "merger/src/sub.py"), "def sub(a, b):\n    return a - b\n");
  EXPECT_FALSE(fs::exists(root_ / "merger/README"));

  // Control: git's own merges of the same branches give the same tree.
  git_in("checkout -q -b control main");
  git_in("merge -q --no-ff --no-edit one");
  git_in("merge -q --no-ff --no-edit two");
  git_in("merge -q --no-ff --no-edit three");
  EXPECT_EQ(git_output("rev-parse control^{tree}"),
            git_output("rev-parse " + progress->head + "^{tree}"));

  // A branch already merged merges as nothing.
  auto again = merge({"one"});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->head, progress->head);
  EXPECT_EQ(again->merged, (std::vector<std::string>{"one"}));
}

TEST_F(MergeTest, AConflictStopsWithMarkersAndKeepsWhatMergedBefore) {
  branch("one", [&] { write(origin_ / "shared.py", "first = 1\nvalue = 1\nlast = 2\n"); });
  branch("two", [&] {
    write(origin_ / "src/add.py", "def add(a, b):\n    return a + b\n");
    fs::remove(origin_ / "README");
  });
  branch("three", [&] {
    write(origin_ / "shared.py", "first = 1\nvalue = 3\nlast = 2\n");
    write(origin_ / "src/mul.py", "def mul(a, b):\n    return a * b\n");
  });
  branch("four", [&] { write(origin_ / "CHANGES", "adds and multiplies\n"); });
  open_merger();
  auto progress = merge({"one", "two", "three", "four"});
  ASSERT_TRUE(progress.ok()) << progress.error().message;
  EXPECT_EQ(progress->merged, (std::vector<std::string>{"one", "two"}));
  ASSERT_TRUE(progress->conflict.has_value());
  const MergeConflict& conflict = *progress->conflict;
  EXPECT_EQ(conflict.branch, "three");
  EXPECT_EQ(conflict.ours, progress->head);
  EXPECT_EQ(conflict.theirs, *repository_->resolve("three"));
  ASSERT_EQ(conflict.paths.size(), 1u);
  EXPECT_EQ(conflict.paths[0].path, "shared.py");
  EXPECT_EQ(conflict.paths[0].kind, ConflictKind::content);
  EXPECT_EQ(read(root_ / "merger/shared.py"),
            "first = 1\n<<<<<<< ours\nvalue = 1\n=======\nvalue = 3\n>>>>>>> theirs: three\n"
            "last = 2\n");
  // What merged before is in the worktree, and so is the conflicted branch's clean part.
  EXPECT_EQ(read(root_ / "merger/src/add.py"), "def add(a, b):\n    return a + b\n");
  EXPECT_EQ(read(root_ / "merger/src/mul.py"), "def mul(a, b):\n    return a * b\n");
  EXPECT_FALSE(fs::exists(root_ / "merger/README")) << "a deletion merged before came back";

  // Markers left: nothing is committed.
  auto early = conclude_merge(*repository_, worktree_, conflict, kMerger, "Merge three");
  ASSERT_TRUE(early.ok()) << early.error().message;
  EXPECT_EQ(early->unresolved, (std::vector<std::string>{"shared.py"}));
  EXPECT_TRUE(early->head.empty());
  EXPECT_EQ(*repository_->resolve("agentd/t1/merger-1"), conflict.ours);

  // The merge agent's edit concludes it: both parents, its resolution, the others' work.
  write(root_ / "merger/shared.py", "first = 1\nvalue = 4\nlast = 2\n");
  auto concluded = conclude_merge(*repository_, worktree_, conflict, kMerger, "Merge three");
  ASSERT_TRUE(concluded.ok()) << concluded.error().message;
  ASSERT_TRUE(concluded->unresolved.empty());
  EXPECT_EQ(parents_of(concluded->head),
            concluded->head + " " + conflict.ours + " " + conflict.theirs);
  EXPECT_EQ(git_output("show " + concluded->head + ":shared.py"), "first = 1\nvalue = 4\nlast = 2");
  EXPECT_EQ(git_output("show " + concluded->head + ":src/mul.py"),
            "def mul(a, b):\n    return a * b");

  // The rest merges on top of it.
  auto rest = merge({"four"});
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  EXPECT_FALSE(rest->conflict.has_value());
  EXPECT_EQ(git_output("show " + rest->head + ":CHANGES"), "adds and multiplies");
  EXPECT_EQ(git_output("ls-tree --name-only " + rest->head), "CHANGES\nshared.py\nsrc");
  EXPECT_EQ(git_output("show " + rest->head + ":shared.py"), "first = 1\nvalue = 4\nlast = 2");
  EXPECT_EQ(git_output("show " + rest->head + ":src/add.py"), "def add(a, b):\n    return a + b");
}

TEST_F(MergeTest, DeletedAgainstChangedAndAddedOnBothSides) {
  branch("one", [&] {
    fs::remove(origin_ / "README");
    write(origin_ / "notes.txt", "one's notes\n");
  });
  branch("two", [&] {
    write(origin_ / "README", "adds, better\n");
    write(origin_ / "notes.txt", "two's notes\n");
  });
  open_merger();
  auto progress = merge({"one", "two"});
  ASSERT_TRUE(progress.ok()) << progress.error().message;
  ASSERT_TRUE(progress->conflict.has_value());
  const auto& paths = progress->conflict->paths;
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[0].path, "README");
  EXPECT_EQ(paths[0].kind, ConflictKind::deleted_by_ours);
  EXPECT_EQ(read(root_ / "merger/README"), "adds, better\n") << "theirs' change is shown";
  EXPECT_EQ(paths[1].path, "notes.txt");
  EXPECT_EQ(paths[1].kind, ConflictKind::added_by_both);
  EXPECT_EQ(read(root_ / "merger/notes.txt"),
            "<<<<<<< ours\none's notes\n=======\ntwo's notes\n>>>>>>> theirs: two\n");

  // The agent accepts the deletion and writes both notes.
  fs::remove(root_ / "merger/README");
  write(root_ / "merger/notes.txt", "one's notes\ntwo's notes\n");
  auto concluded =
      conclude_merge(*repository_, worktree_, *progress->conflict, kMerger, "Merge two");
  ASSERT_TRUE(concluded.ok()) << concluded.error().message;
  ASSERT_TRUE(concluded->unresolved.empty());
  EXPECT_EQ(git_output("ls-tree --name-only " + concluded->head), "notes.txt\nshared.py\nsrc");
}

TEST_F(MergeTest, AbandoningPutsTheWorktreeBackAtOurs) {
  branch("one", [&] { write(origin_ / "shared.py", "first = 1\nvalue = 1\nlast = 2\n"); });
  branch("two", [&] { write(origin_ / "shared.py", "first = 1\nvalue = 2\nlast = 2\n"); });
  fs::create_directories(root_ / "outside");
  open_merger();
  auto progress = merge({"one", "two"});
  ASSERT_TRUE(progress.ok()) << progress.error().message;
  ASSERT_TRUE(progress->conflict.has_value());
  // A merge agent that left junk, and a link where a directory of the tree was.
  write(root_ / "merger/junk.txt", "junk\n");
  fs::remove_all(root_ / "merger/src");
  fs::create_directory_symlink(root_ / "outside", root_ / "merger/src");
  ASSERT_TRUE(abandon_merge(*repository_, worktree_, *progress->conflict).ok());
  EXPECT_EQ(*repository_->resolve("agentd/t1/merger-1"), progress->conflict->ours);
  EXPECT_EQ(read(root_ / "merger/shared.py"), "first = 1\nvalue = 1\nlast = 2\n");
  EXPECT_FALSE(fs::exists(root_ / "merger/junk.txt"));
  EXPECT_TRUE(fs::is_empty(root_ / "outside")) << "the checkout followed the planted link";
  EXPECT_FALSE(fs::is_symlink(root_ / "merger/src"));
  EXPECT_EQ(read(root_ / "merger/src/add.py"), "def add(a, b):\n    return a - b\n");
}

TEST_F(MergeTest, AMergeDriverTheRepositoryConfiguresIsNotRun) {
  const fs::path canary = root_ / "canary";
  write(origin_ / ".gitattributes", "* merge=evil\n");
  commit_all("attributes");
  std::ofstream(origin_ / ".git/config", std::ios::app)
      << "[merge \"evil\"]\n\tname = evil\n\tdriver = touch " << canary.string() << "\n";
  branch("one", [&] { write(origin_ / "shared.py", "first = 1\nvalue = 1\nlast = 2\n"); });
  branch("two", [&] { write(origin_ / "shared.py", "first = 1\nvalue = 2\nlast = 2\n"); });
  open_merger();
  auto progress = merge({"one", "two"});
  ASSERT_TRUE(progress.ok()) << progress.error().message;
  EXPECT_FALSE(fs::exists(canary)) << "the repository's merge driver ran on the host";
  // libgit2's own text merge stood in for it.
  ASSERT_TRUE(progress->conflict.has_value());
  EXPECT_NE(read(root_ / "merger/shared.py").find("<<<<<<< ours\nvalue = 1\n"), std::string::npos);

  // Control: git itself runs the planted driver on the same merge.
  git_in("checkout -q -b control one");
  git_in("merge -q --no-edit two");
  EXPECT_TRUE(fs::exists(canary)) << "the planted driver does not run even under git";
}

}  // namespace
}  // namespace repo
