// Workspace file tools: what a hostile sandbox can plant in its workspace (symlinks out of
// it, FIFOs, files where directories are expected) and what a model can ask for ("..",
// absolute paths) must never lead outside the workspace. And the path the policy check
// judged is the path the tool opens.
#include "agents/tools/workspace.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "policies/tool_scope.h"
#include "policies/workspace_path.h"

namespace agents::tools {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool has_temp_files(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().starts_with(".agentd-tmp-")) return true;
  }
  return false;
}

class WorkspaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agentd-workspace-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    base_ = pattern;
    dir_ = base_ / "ws";
    outside_ = base_ / "outside";
    fs::create_directories(dir_);
    fs::create_directories(outside_);
    std::ofstream(outside_ / "secret.txt") << "secret";
    // What a sandbox could plant in its workspace.
    fs::create_symlink("/etc/passwd", dir_ / "passwd");
    fs::create_directory_symlink("../outside", dir_ / "out");
    fs::create_directory_symlink(outside_, dir_ / "abs_out");
    fs::create_symlink(outside_ / "secret.txt", dir_ / "secret_link");
  }
  void TearDown() override { fs::remove_all(base_); }  // never follows symlinks

  Workspace open(WorkspaceOptions options = {}) {
    auto workspace = Workspace::open(dir_.string(), options);
    EXPECT_TRUE(workspace) << workspace.error().message;
    return std::move(workspace).value();
  }

  static std::string error_of(const base::Status& status) {
    return status ? "(succeeded)" : status.error().message;
  }
  template <class T>
  static std::string error_of(const base::Expected<T>& result) {
    return result ? "(succeeded)" : result.error().message;
  }

  fs::path base_, dir_, outside_;
};

TEST_F(WorkspaceTest, NestedWriteReadAndListWork) {
  Workspace workspace = open();
  ASSERT_TRUE(workspace.write_file("a/b/c.txt", "hello")) << "nested write";
  const auto content = workspace.read_file("a/b/c.txt");
  ASSERT_TRUE(content) << content.error().message;
  EXPECT_EQ(content->data, "hello");
  EXPECT_EQ(content->size, 5u);
  EXPECT_FALSE(content->truncated);
  EXPECT_EQ(slurp(dir_ / "a/b/c.txt"), "hello");

  const auto listing = workspace.list_files("a");
  ASSERT_TRUE(listing) << listing.error().message;
  ASSERT_EQ(listing->entries.size(), 2u);
  EXPECT_EQ(listing->entries[0].path, "a/b");
  EXPECT_EQ(listing->entries[0].kind, DirEntry::Kind::directory);
  EXPECT_EQ(listing->entries[1].path, "a/b/c.txt");
  EXPECT_EQ(listing->entries[1].kind, DirEntry::Kind::file);
  EXPECT_EQ(listing->entries[1].size, 5u);
  EXPECT_FALSE(listing->truncated);

  ASSERT_TRUE(workspace.write_file(".//top.txt", "top"));
  EXPECT_EQ(slurp(dir_ / "top.txt"), "top");
}

TEST_F(WorkspaceTest, ListingShowsSymlinksButNeverEntersThem) {
  Workspace workspace = open();
  ASSERT_TRUE(workspace.write_file("src/main.py", "print(1)"));
  const auto listing = workspace.list_files("");
  ASSERT_TRUE(listing) << listing.error().message;
  std::vector<std::string> paths;
  for (const auto& entry : listing->entries) {
    paths.push_back(entry.path);
    EXPECT_EQ(entry.path.find("secret.txt"), std::string::npos) << "entered a symlink";
    if (entry.path == "out" || entry.path == "passwd") {
      EXPECT_EQ(entry.kind, DirEntry::Kind::symlink);
    }
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"abs_out", "out", "passwd", "secret_link", "src",
                                             "src/main.py"}));
}

TEST_F(WorkspaceTest, OverwriteReplacesTheFileAndLeavesNoTemporaryFile) {
  Workspace workspace = open();
  ASSERT_TRUE(workspace.write_file("x.txt", "one"));
  ASSERT_TRUE(workspace.write_file("x.txt", "two, longer"));
  EXPECT_EQ(slurp(dir_ / "x.txt"), "two, longer");
  EXPECT_FALSE(has_temp_files(dir_));
}

TEST_F(WorkspaceTest, SymlinksOutOfTheWorkspaceAreRefused) {
  Workspace workspace = open();
  const std::string symlink_refusal = "a path component is a symbolic link";
  EXPECT_EQ(error_of(workspace.read_file("passwd")),
            "read_file: \"passwd\": " + symlink_refusal + " (symlinks are not followed)");
  EXPECT_NE(error_of(workspace.read_file("out/secret.txt")).find(symlink_refusal),
            std::string::npos);
  EXPECT_NE(error_of(workspace.read_file("abs_out/secret.txt")).find(symlink_refusal),
            std::string::npos);
  EXPECT_NE(error_of(workspace.list_files("out")).find(symlink_refusal), std::string::npos);

  // Writing through a symlinked parent or onto a symlink leaves the outside untouched.
  EXPECT_NE(error_of(workspace.write_file("out/new.txt", "x")).find(symlink_refusal),
            std::string::npos);
  EXPECT_NE(error_of(workspace.write_file("abs_out/deeper/new.txt", "x")).find(symlink_refusal),
            std::string::npos);
  EXPECT_NE(error_of(workspace.write_file("secret_link", "overwritten")).find("symbolic link"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(outside_ / "new.txt"));
  EXPECT_FALSE(fs::exists(outside_ / "deeper"));
  EXPECT_EQ(slurp(outside_ / "secret.txt"), "secret");
  EXPECT_TRUE(fs::is_symlink(dir_ / "secret_link"));
}

TEST_F(WorkspaceTest, DotDotAndAbsolutePathsAreRefused) {
  Workspace workspace = open();
  const std::string expected = "; use a path relative to the workspace root without \"..\"";
  EXPECT_EQ(error_of(workspace.read_file("../x")),
            "read_file: path \"../x\" is outside the workspace" + expected);
  EXPECT_EQ(error_of(workspace.read_file("a/../../outside/secret.txt")),
            "read_file: path \"a/../../outside/secret.txt\" is outside the workspace" + expected);
  EXPECT_NE(error_of(workspace.write_file("../outside/new.txt", "x")).find("outside the workspace"),
            std::string::npos);
  EXPECT_NE(error_of(workspace.list_files("..")).find("outside the workspace"), std::string::npos);
  EXPECT_EQ(error_of(workspace.read_file("/etc/passwd")),
            "read_file: path \"/etc/passwd\" is outside the workspace" + expected);
  EXPECT_NE(error_of(workspace.write_file("/tmp/x", "x")).find("outside the workspace"),
            std::string::npos);
  EXPECT_NE(error_of(workspace.read_file(std::string("ok\0/../../x", 11))).find("NUL"),
            std::string::npos);
  EXPECT_EQ(error_of(workspace.write_file("a/..", "x")),
            "write_file: path \"a/..\" has a \"..\" segment" + expected);
  EXPECT_FALSE(fs::exists(outside_ / "new.txt"));
  EXPECT_FALSE(fs::exists(dir_ / "a"));
}

TEST_F(WorkspaceTest, TheRootIsNotAFile) {
  Workspace workspace = open();
  EXPECT_EQ(error_of(workspace.read_file("")), "read_file: \".\": names the workspace, not a file");
  EXPECT_EQ(error_of(workspace.write_file("./", "x")),
            "write_file: \".\": names the workspace, not a file");
  EXPECT_TRUE(workspace.list_files("."));
}

// Errors after the path was read quote the normalised path: the one that was opened.
TEST_F(WorkspaceTest, ErrorsQuoteThePathThatWasOpened) {
  Workspace workspace = open();
  EXPECT_EQ(error_of(workspace.read_file(".//missing.txt")),
            "read_file: \"missing.txt\": no such file or directory");
}

// Before one normaliser, the tool resolved "x/../y" to "y" while the policy check refused it:
// the check and the tool disagreed about which file a path names.
TEST_F(WorkspaceTest, DotDotInsideTheWorkspaceIsRefusedNotResolved) {
  Workspace workspace = open();
  ASSERT_TRUE(workspace.write_file("y", "untouched"));
  EXPECT_EQ(error_of(workspace.write_file("x/../y", "replaced")),
            "write_file: path \"x/../y\" has a \"..\" segment; use a path relative to the "
            "workspace root without \"..\"");
  EXPECT_EQ(slurp(dir_ / "y"), "untouched");
  EXPECT_FALSE(fs::exists(dir_ / "x")) << "no parent is made for a refused path";
  EXPECT_FALSE(workspace.read_file("x/../y"));
  EXPECT_FALSE(workspace.list_files("x/.."));
}

policies::ToolScope scope_allowing(std::vector<std::string> globs) {
  policies::ToolScope scope;
  scope.policy_name = "test";
  scope.read_file = {true, globs};
  scope.write_file = {true, globs};
  scope.list_files = {true, std::move(globs)};
  return scope;
}

// The policy check and the tool read a path with the same code, so they refuse the same
// paths in the same words (the tool adds its name, as the agent's refusal does).
TEST_F(WorkspaceTest, TheScopeCheckAndTheToolRefuseTheSamePathsAlike) {
  Workspace workspace = open();
  const policies::ToolScope scope = scope_allowing({"**"});
  for (const std::string& sent :
       std::vector<std::string>{"x/../y", "a/b/../c", "src/..", "../outside/secret.txt",
                                "/etc/passwd", std::string("a\0b", 3)}) {
    SCOPED_TRACE(sent);
    const auto read = scope.check_read_file(sent);
    const auto write = scope.check_write_file(sent);
    const auto list = scope.check_list_files(sent);
    ASSERT_TRUE(read && write && list) << "the check let it through";
    EXPECT_EQ(error_of(workspace.read_file(sent)), "read_file: " + read->reason);
    EXPECT_EQ(error_of(workspace.write_file(sent, "x")), "write_file: " + write->reason);
    EXPECT_EQ(error_of(workspace.list_files(sent)), "list_files: " + list->reason);
    EXPECT_EQ(read->reason, policies::WorkspacePath::parse(sent).error().message);
  }
  EXPECT_FALSE(fs::exists(dir_ / "y"));
  EXPECT_FALSE(fs::exists(dir_ / "a"));
  EXPECT_EQ(slurp(outside_ / "secret.txt"), "secret");
}

// A glob naming one file admits only spellings of that file, and each is opened as it.
TEST_F(WorkspaceTest, APathTheScopeAcceptsIsOpenedAsExactlyThatPath) {
  Workspace workspace = open();
  const policies::ToolScope scope = scope_allowing({"src/main.py"});
  for (const std::string sent : {"src/main.py", "./src//main.py", "src/./main.py/"}) {
    SCOPED_TRACE(sent);
    ASSERT_EQ(scope.check_write_file(sent), std::nullopt);
    ASSERT_TRUE(workspace.write_file(sent, sent));
    EXPECT_EQ(slurp(dir_ / "src/main.py"), sent);
    ASSERT_EQ(scope.check_read_file(sent), std::nullopt);
    const auto read = workspace.read_file(sent);
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(read->data, sent);
  }
  EXPECT_TRUE(scope.check_write_file("src/other.py"));
  const auto listing = workspace.list_files("src");
  ASSERT_TRUE(listing) << listing.error().message;
  ASSERT_EQ(listing->entries.size(), 1u) << "every spelling wrote the one file";
  EXPECT_EQ(listing->entries[0].path, "src/main.py");

  // A caller that parsed once matches and opens that one value.
  const auto path = policies::WorkspacePath::parse("./src/main.py");
  ASSERT_TRUE(path);
  EXPECT_TRUE(policies::glob_matches("src/main.py", *path));
  ASSERT_TRUE(workspace.write_file(*path, "by value"));
  EXPECT_EQ(slurp(dir_ / "src/main.py"), "by value");
  const auto read = workspace.read_file(*path);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->data, "by value");
}

TEST_F(WorkspaceTest, SpecialFilesAndWrongTypesAreReportedWithoutBlocking) {
  Workspace workspace = open();
  ASSERT_EQ(::mkfifo((dir_ / "fifo").c_str(), 0644), 0);
  EXPECT_EQ(error_of(workspace.read_file("fifo")), "read_file: \"fifo\": not a regular file");
  ASSERT_TRUE(workspace.write_file("file.txt", "x"));
  EXPECT_NE(error_of(workspace.write_file("file.txt/inner", "x")).find("not a directory"),
            std::string::npos);
  EXPECT_NE(error_of(workspace.read_file("missing.txt")).find("no such file"), std::string::npos);
  EXPECT_NE(error_of(workspace.list_files("file.txt")).find("not a directory"), std::string::npos);
}

TEST_F(WorkspaceTest, ReadsAreCappedAndFlagged) {
  WorkspaceOptions options;
  options.max_read_bytes = 10;
  Workspace workspace = open(options);
  ASSERT_TRUE(workspace.write_file("long.txt", std::string(25, 'y')));
  const auto content = workspace.read_file("long.txt");
  ASSERT_TRUE(content) << content.error().message;
  EXPECT_EQ(content->data, std::string(10, 'y'));
  EXPECT_TRUE(content->truncated);
  EXPECT_EQ(content->size, 25u);

  ASSERT_TRUE(workspace.write_file("exact.txt", std::string(10, 'z')));
  const auto exact = workspace.read_file("exact.txt");
  ASSERT_TRUE(exact);
  EXPECT_FALSE(exact->truncated);
}

TEST_F(WorkspaceTest, WritesOverTheCapAreRefusedBeforeTouchingTheDisk) {
  WorkspaceOptions options;
  options.max_write_bytes = 10;
  Workspace workspace = open(options);
  EXPECT_EQ(error_of(workspace.write_file("dir/big.txt", std::string(11, 'b'))),
            "write_file: \"dir/big.txt\": content is 11 bytes; the limit is 10");
  EXPECT_FALSE(fs::exists(dir_ / "dir"));
}

TEST_F(WorkspaceTest, FailedRenameLeavesNoTemporaryFile) {
  Workspace workspace = open();
  ASSERT_TRUE(workspace.write_file("taken/inner.txt", "keep"));
  EXPECT_NE(error_of(workspace.write_file("taken", "x")).find("is a directory"), std::string::npos);
  EXPECT_FALSE(has_temp_files(dir_));
  EXPECT_EQ(slurp(dir_ / "taken/inner.txt"), "keep");
}

TEST_F(WorkspaceTest, FailedWriteLeavesNoTemporaryFileAndTheOldContent) {
  Workspace workspace = open();
  ASSERT_TRUE(workspace.write_file("data.txt", "old"));
  // A file size limit makes write() fail after the temporary file exists.
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old_limit;
  small.rlim_cur = 4;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const auto status = workspace.write_file("data.txt", std::string(100, 'n'));
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_NE(error_of(status).find("write failed"), std::string::npos) << error_of(status);
  EXPECT_FALSE(has_temp_files(dir_));
  EXPECT_EQ(slurp(dir_ / "data.txt"), "old");
}

TEST_F(WorkspaceTest, ListingIsBounded) {
  WorkspaceOptions options;
  options.max_list_entries = 3;
  options.max_list_depth = 2;
  Workspace workspace = open(options);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(workspace.write_file("many/f" + std::to_string(i), "x"));
  }
  const auto many = workspace.list_files("many");
  ASSERT_TRUE(many) << many.error().message;
  EXPECT_EQ(many->entries.size(), 3u);
  EXPECT_TRUE(many->truncated);

  ASSERT_TRUE(workspace.write_file("deep/a/b/c.txt", "x"));
  const auto deep = workspace.list_files("deep");
  ASSERT_TRUE(deep) << deep.error().message;
  EXPECT_TRUE(deep->truncated);
  for (const auto& entry : deep->entries) EXPECT_NE(entry.path, "deep/a/b/c.txt");
}

TEST_F(WorkspaceTest, CreatedFilesAndDirectoriesGoToTheConfiguredOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give files to another user";
  WorkspaceOptions options;
  options.owner_uid = 4242;
  options.owner_gid = 4343;
  Workspace workspace = open(options);
  ASSERT_TRUE(workspace.write_file("owned/file.txt", "x"));
  struct stat dir_status {};
  struct stat file_status {};
  ASSERT_EQ(::stat((dir_ / "owned").c_str(), &dir_status), 0);
  ASSERT_EQ(::stat((dir_ / "owned/file.txt").c_str(), &file_status), 0);
  EXPECT_EQ(dir_status.st_uid, 4242u);
  EXPECT_EQ(dir_status.st_gid, 4343u);
  EXPECT_EQ(file_status.st_uid, 4242u);
  EXPECT_EQ(file_status.st_gid, 4343u);
}

TEST_F(WorkspaceTest, OpeningAMissingDirectoryNamesIt) {
  const auto missing = Workspace::open((base_ / "nope").string());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("nope"), std::string::npos);
}

}  // namespace
}  // namespace agents::tools
