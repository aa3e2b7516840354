// repo::make_test_tree on repositories made with the git CLI: a candidate's protected files
// (tests, runner configuration, interpreter start-up files) come back as the base has them, its
// additions there are removed and reported, hidden tests are laid over it, links stay links,
// no filter runs, and nothing is written to the repository.
#include "repo/test_tree.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

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
using test_support::read;
using test_support::write;

// What a task's default globs would say, for these tests: the tests directory, conftest.py,
// pytest.ini and sitecustomize.py anywhere.
bool is_protected(std::string_view path) {
  const auto ends_with = [&](std::string_view name) {
    return path == name || (path.size() > name.size() && path.ends_with(name) &&
                            path[path.size() - name.size() - 1] == '/');
  };
  return path.starts_with("tests/") || ends_with("conftest.py") || ends_with("pytest.ini") ||
         ends_with("sitecustomize.py");
}

const char* const kBaseTest =
    "from src.add import add\ndef test_add():\n    assert add(1, 2) == 3\n";

class TestTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/agentd-test-tree-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    root_ = templ;
    origin_ = root_ / "origin";
    git("init -q -b main " + origin_.string());
    write(origin_ / "src/add.py", "def add(a, b):\n    return a - b\n");
    write(origin_ / "tests/test_add.py", kBaseTest);
    write(origin_ / "tests/test_other.py", "def test_other():\n    pass\n");
    write(origin_ / "pytest.ini", "[pytest]\n");
    write(origin_ / "README", "adds\n");
    fs::create_symlink("README", origin_ / "readme_link");
    git_in("add -A");
    git_in("commit -q -m base");
    base_ = output_of("rev-parse HEAD");
  }
  void TearDown() override { fs::remove_all(root_); }

  void git_in(const std::string& args) { git("-C " + origin_.string() + " " + args); }
  std::string output_of(const std::string& args) {
    const std::string command = "git -C " + origin_.string() + " " + args;
    FILE* pipe = ::popen(command.c_str(), "r");
    std::string text;
    char buffer[256];
    while (pipe != nullptr && std::fgets(buffer, sizeof buffer, pipe) != nullptr) text += buffer;
    if (pipe != nullptr) ::pclose(pipe);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }
  // Commits the working files on a new branch `name`; its head.
  std::string commit_candidate(const std::string& name) {
    git_in("checkout -q -b " + name);
    git_in("add -A");
    git_in("commit -q -m candidate");
    return output_of("rev-parse HEAD");
  }

  fs::path root_, origin_;
  std::string base_;
};

TEST_F(TestTreeTest, ProtectedPathsComeFromTheBaseAndChangesToThemAreReported) {
  write(origin_ / "src/add.py", "def add(a, b):\n    return a + b\n");
  write(origin_ / "src/new.py", "X = 1\n");
  write(origin_ / "tests/test_add.py", "def test_add():\n    pass\n");  // weakened
  fs::remove(origin_ / "tests/test_other.py");
  write(origin_ / "conftest.py", "import pytest\n");
  write(origin_ / "src/sitecustomize.py", "import os\n");
  fs::create_symlink("/etc/passwd", origin_ / "escape");
  const std::string head = commit_candidate("candidate");

  auto repository = Repository::open(origin_);
  ASSERT_TRUE(repository.ok()) << repository.error().message;
  const std::string index_before = read(origin_ / ".git/index");
  const std::string hidden = "def test_hidden():\n    assert True  # agentd hidden\n";
  auto tree = make_test_tree(*repository, base_, head, is_protected,
                             {{"tests/test_hidden.py", hidden}}, root_ / "trees/one");
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  const fs::path dir = root_ / "trees/one";
  EXPECT_EQ(tree->dir, dir);

  EXPECT_EQ(read(dir / "src/add.py"), "def add(a, b):\n    return a + b\n");
  EXPECT_EQ(read(dir / "src/new.py"), "X = 1\n");
  EXPECT_EQ(read(dir / "tests/test_add.py"), kBaseTest);
  EXPECT_EQ(read(dir / "tests/test_other.py"), "def test_other():\n    pass\n");
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir / "conftest.py")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir / "src/sitecustomize.py")));
  EXPECT_EQ(read(dir / "tests/test_hidden.py"), hidden);
  EXPECT_EQ(tree->protected_changes,
            (std::vector<std::string>{"conftest.py", "src/sitecustomize.py", "tests/test_add.py",
                                      "tests/test_other.py"}));

  // Links are checked out as links, never followed.
  ASSERT_TRUE(fs::is_symlink(dir / "escape"));
  EXPECT_EQ(fs::read_symlink(dir / "escape"), "/etc/passwd");
  ASSERT_TRUE(fs::is_symlink(dir / "readme_link"));
  EXPECT_EQ(fs::read_symlink(dir / "readme_link"), "README");

  // Open to every sandbox's uid.
  struct stat status {};
  ASSERT_EQ(::stat((dir / "tests").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0777u);
  ASSERT_EQ(::stat((dir / "src/add.py").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0666, 0666u);

  // Nothing written to the repository: its index, its branches, its objects.
  EXPECT_EQ(read(origin_ / ".git/index"), index_before);
  EXPECT_EQ(output_of("rev-parse candidate"), head);
  EXPECT_EQ(output_of("status --porcelain"), "");
  write(root_ / "hidden.py", hidden);
  const std::string hidden_id = output_of("hash-object " + (root_ / "hidden.py").string());
  ASSERT_EQ(hidden_id.size(), 40u);
  EXPECT_NE(std::system(("git -C " + origin_.string() + " cat-file -e " + hidden_id).c_str()), 0)
      << "the hidden test's blob was written to the repository";
}

TEST_F(TestTreeTest, AFileInThePlaceOfAProtectedDirectoryGoesAndIsReported) {
  fs::remove_all(origin_ / "tests");
  write(origin_ / "tests", "not a directory\n");
  const std::string head = commit_candidate("candidate");
  auto repository = Repository::open(origin_);
  ASSERT_TRUE(repository.ok()) << repository.error().message;
  auto tree = make_test_tree(*repository, base_, head, is_protected, {}, root_ / "tree");
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(root_ / "tree/tests")));
  EXPECT_EQ(read(root_ / "tree/tests/test_other.py"), "def test_other():\n    pass\n");
  EXPECT_EQ(tree->protected_changes,
            (std::vector<std::string>{"tests", "tests/test_add.py", "tests/test_other.py"}));
}

TEST_F(TestTreeTest, NoFilterRunsAndFilesAreTheBlobsBytes) {
  const fs::path canary = root_ / "canary";
  write(origin_ / ".gitattributes", "* text eol=crlf filter=evil\n");
  write(origin_ / "src/add.py", "line one\nline two\n");
  const std::string head = commit_candidate("candidate");
  std::ofstream(origin_ / ".git/config", std::ios::app)
      << "[filter \"evil\"]\n\tsmudge = touch " << canary.string() << "\n\tprocess = touch "
      << canary.string() << "\n\trequired = true\n";
  auto repository = Repository::open(origin_);
  ASSERT_TRUE(repository.ok()) << repository.error().message;
  auto tree = make_test_tree(*repository, base_, head, is_protected, {}, root_ / "tree");
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_EQ(read(root_ / "tree/src/add.py"), "line one\nline two\n") << "a filter converted it";
  EXPECT_FALSE(fs::exists(canary)) << "the repository's filter command ran on the host";
  EXPECT_TRUE(tree->protected_changes.empty());
}

TEST_F(TestTreeTest, ASubmoduleEntryNeitherBreaksTheTreeNorEscapesProtection) {
  // A gitlink (a submodule's commit) in the candidate's tree and one under a protected path;
  // committed from the index alone (`add -A` would drop them: no directory stands there).
  git_in("checkout -q -b candidate");
  git_in("update-index --add --cacheinfo 160000," + base_ + ",vendor/lib");
  git_in("update-index --add --cacheinfo 160000," + base_ + ",tests/vendored");
  git_in("commit -q -m submodules");
  const std::string head = output_of("rev-parse HEAD");
  ASSERT_EQ(output_of("ls-tree " + head + " vendor/lib").substr(0, 6), "160000");
  auto repository = Repository::open(origin_);
  ASSERT_TRUE(repository.ok()) << repository.error().message;
  auto tree = make_test_tree(*repository, base_, head, is_protected, {}, root_ / "tree");
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  // A submodule's files are not in this repository: an empty directory stands there, as git
  // leaves an uninitialised submodule.
  const fs::path lib = root_ / "tree/vendor/lib";
  ASSERT_TRUE(fs::is_directory(fs::symlink_status(lib)));
  EXPECT_TRUE(fs::is_empty(lib));
  EXPECT_EQ(read(root_ / "tree/src/add.py"), "def add(a, b):\n    return a - b\n");
  EXPECT_FALSE(fs::exists(root_ / "tree/tests/vendored"));
  EXPECT_EQ(tree->protected_changes, (std::vector<std::string>{"tests/vendored"}));
}

TEST_F(TestTreeTest, FailuresLeaveNothingBehind) {
  auto repository = Repository::open(origin_);
  ASSERT_TRUE(repository.ok()) << repository.error().message;
  const fs::path dir = root_ / "tree";

  auto missing = make_test_tree(*repository, base_, std::string(40, '0'), is_protected, {}, dir);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("commit"), std::string::npos) << missing.error().message;
  EXPECT_FALSE(fs::exists(dir));

  for (const char* bad : {"../escape.py", "/etc/x.py", "tests//x.py", "", "a/./b.py"}) {
    auto refused = make_test_tree(*repository, base_, base_, is_protected, {{bad, "x"}}, dir);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.error().message.find("hidden test path"), std::string::npos)
        << refused.error().message;
    EXPECT_FALSE(fs::exists(dir)) << bad;
  }
  EXPECT_FALSE(fs::exists(root_ / "escape.py"));

  auto hidden_git = make_test_tree(*repository, base_, base_, is_protected,
                                   {{".git/hooks/post-checkout", "x"}}, dir);
  EXPECT_FALSE(hidden_git.ok()) << "libgit2 refuses a path inside .git";
  EXPECT_FALSE(fs::exists(dir));

  fs::create_directories(dir);
  write(dir / "keep", "mine");
  auto exists = make_test_tree(*repository, base_, base_, is_protected, {}, dir);
  ASSERT_FALSE(exists.ok());
  EXPECT_NE(exists.error().message.find("exists already"), std::string::npos)
      << exists.error().message;
  EXPECT_EQ(read(dir / "keep"), "mine") << "a directory that was there is not the call's to remove";
}

}  // namespace
}  // namespace repo
