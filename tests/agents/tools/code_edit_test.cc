// edit_file and apply_patch on a real workspace: exact matches with errors a model can act
// on, all-or-nothing patches, and nothing ever written through a symlink a sandbox planted.
#include "agents/tools/code_edit.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/agents/tools/temp_workspace.h"

namespace agents::tools {
namespace {

using testing::TempWorkspace;

class CodeEditTest : public TempWorkspace {
 protected:
  std::string patch_error(const std::string& patch) const {
    auto files = parse_unified_diff(patch);
    if (!files) return files.error().message;
    auto applied = apply_patch(ws(), *files);
    return applied ? "(applied)" : applied.error().message;
  }
  base::Expected<PatchResult> patch(const std::string& text) const {
    auto files = parse_unified_diff(text);
    if (!files) return files.error();
    return apply_patch(ws(), *files);
  }
};

TEST_F(CodeEditTest, EditReplacesTheOneOccurrence) {
  put("src/a.py", "def f():\n    return 1\n\ndef g():\n    return 2\n");
  auto edited = edit_file(ws(), "./src//a.py", "    return 2\n", "    return 3\n");
  ASSERT_TRUE(edited) << edited.error().message;
  EXPECT_EQ(edited->path, "src/a.py");
  EXPECT_EQ(edited->line, 5u);
  EXPECT_EQ(get("src/a.py"), "def f():\n    return 1\n\ndef g():\n    return 3\n");
  ASSERT_TRUE(edit_file(ws(), "src/a.py", "def g():\n    return 3\n", ""));  // deletes the text
  EXPECT_EQ(get("src/a.py"), "def f():\n    return 1\n\n");
}

// The write is atomic (a new file renamed over the old one), yet the file stays what it was:
// an edited script is still executable, and a patched file keeps its owner.
TEST_F(CodeEditTest, EditedAndPatchedFilesKeepTheirModeAndOwner) {
  put("run.sh", "#!/bin/sh\necho old\n");
  std::filesystem::permissions(dir_ / "run.sh", std::filesystem::perms(0750));
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown((dir_ / "run.sh").c_str(), 12345, 12346), 0);
  }
  ASSERT_TRUE(edit_file(ws(), "run.sh", "echo old", "echo new"));
  ASSERT_TRUE(patch("--- a/run.sh\n+++ b/run.sh\n@@ -2 +2 @@\n-echo new\n+echo newer\n"));
  EXPECT_EQ(get("run.sh"), "#!/bin/sh\necho newer\n");
  struct stat status {};
  ASSERT_EQ(::stat((dir_ / "run.sh").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 07777, 0750u);
  if (::geteuid() == 0) {
    EXPECT_EQ(status.st_uid, 12345u);
    EXPECT_EQ(status.st_gid, 12346u);
  }
}

TEST_F(CodeEditTest, EditSaysHowOftenOldTextOccursAndWhere) {
  put("src/a.py", "x = 1\nx = 1\ny = 2\nx = 1\n");
  auto none = edit_file(ws(), "src/a.py", "z = 3", "z = 4");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message,
            "edit_file: old_text occurs 0 times in \"src/a.py\" (it must occur exactly once; "
            "read the file again)");
  auto several = edit_file(ws(), "src/a.py", "x = 1", "x = 5");
  ASSERT_FALSE(several);
  EXPECT_EQ(several.error().message,
            "edit_file: old_text occurs 3 times in \"src/a.py\" (at lines 1, 2, 4; include "
            "surrounding lines so that it occurs once)");
  // Overlapping occurrences count too: "aa" is twice in "aaa".
  put("b.txt", "aaa");
  EXPECT_FALSE(edit_file(ws(), "b.txt", "aa", "b"));
  EXPECT_EQ(get("src/a.py"), "x = 1\nx = 1\ny = 2\nx = 1\n");  // nothing written
}

TEST_F(CodeEditTest, EditRefusesEmptyOldTextBigFilesAndMissingOnes) {
  put("a.txt", "abc");
  auto empty = edit_file(ws(), "a.txt", "", "x");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("old_text is empty"), std::string::npos);
  auto missing = edit_file(ws(), "nope.txt", "a", "b");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "edit_file: \"nope.txt\": no such file or directory");
  put("big.txt", std::string((1 << 20) + 10, 'a') + "needle");
  auto big = edit_file(ws(), "big.txt", "needle", "pin");
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("more than edit_file can read"), std::string::npos);
  // A million "a"s and old_text "a": counting stops, the answer stays quick and clear.
  auto many = edit_file(ws(), "big.txt", "a", "b");
  ASSERT_FALSE(many);
  EXPECT_NE(many.error().message.find("more than edit_file can read"), std::string::npos);
  put("many.txt", std::string(500'000, 'a'));
  auto counted = edit_file(ws(), "many.txt", "a", "b");
  ASSERT_FALSE(counted);
  EXPECT_NE(counted.error().message.find("occurs at least 100 times"), std::string::npos);
}

TEST_F(CodeEditTest, EditNeverFollowsASymlinkOutOfTheWorkspace) {
  for (const char* path : {"secret_link", "out/secret.txt", "../outside/secret.txt", "/tmp/x"}) {
    auto edited = edit_file(ws(), path, "secret", "owned");
    ASSERT_FALSE(edited) << path;
  }
  EXPECT_EQ(secret(), "secret\n");
}

TEST_F(CodeEditTest, PatchCreatesModifiesAndDeletes) {
  put("src/a.py", "one\ntwo\nthree\nfour\nfive\n");
  put("old.txt", "bye\n");
  auto applied = patch(
      "diff --git a/src/a.py b/src/a.py\n"
      "--- a/src/a.py\n+++ b/src/a.py\n"
      "@@ -1,2 +1,2 @@\n-one\n+ONE\n two\n"
      "@@ -4,2 +4,3 @@\n four\n five\n+six\n"
      "--- /dev/null\n+++ b/src/new/b.py\n@@ -0,0 +1,2 @@\n+print(1)\n+print(2)\n"
      "\\ No newline at end of file\n"
      "--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n");
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(get("src/a.py"), "ONE\ntwo\nthree\nfour\nfive\nsix\n");
  EXPECT_EQ(get("src/new/b.py"), "print(1)\nprint(2)");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "old.txt"));
  EXPECT_EQ(applied->created, std::vector<std::string>{"src/new/b.py"});
  EXPECT_EQ(applied->modified, std::vector<std::string>{"src/a.py"});
  EXPECT_EQ(applied->deleted, std::vector<std::string>{"old.txt"});
}

// Like patch(1): a hunk whose line numbers are off is found nearby, but only by exact context.
TEST_F(CodeEditTest, PatchToleratesWrongLineNumbersButNotWrongContext) {
  put("a.txt", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n");
  ASSERT_TRUE(patch("--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n 6\n-7\n+seven\n 8\n"));
  EXPECT_EQ(get("a.txt"), "0\n1\n2\n3\n4\n5\n6\nseven\n8\n9\n");
  const std::string error =
      patch_error("--- a/a.txt\n+++ b/a.txt\n@@ -3,2 +3,2 @@\n 2\n-three\n+3\n");
  EXPECT_EQ(error,
            "apply_patch: \"a.txt\", hunk 1 (@@ -3,2 +3,2 @@, patch line 3) does not match: line 4 "
            "of the file is \"3\", the hunk expects \"three\" (and its lines match nowhere "
            "else); read the file again; nothing was applied");
}

TEST_F(CodeEditTest, PatchHandlesFilesWithoutAFinalNewline) {
  put("a.txt", "x\ny");
  ASSERT_TRUE(
      patch("--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n"
            "+z\n"));
  EXPECT_EQ(get("a.txt"), "x\nz\n");
}

TEST_F(CodeEditTest, APatchWhoseSecondFileFailsWritesNothing) {
  put("a.txt", "a\n");
  put("b.txt", "b\n");
  const std::string error = patch_error(
      "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+A\n"
      "--- a/b.txt\n+++ b/b.txt\n@@ -1 +1 @@\n-not b\n+B\n");
  EXPECT_NE(error.find("\"b.txt\", hunk 1"), std::string::npos) << error;
  EXPECT_NE(error.find("nothing was applied"), std::string::npos) << error;
  EXPECT_EQ(get("a.txt"), "a\n");
  EXPECT_EQ(get("b.txt"), "b\n");
  // Creating a file that exists, or deleting one whose content differs: the same.
  EXPECT_NE(patch_error("--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+A\n"
                        "--- /dev/null\n+++ b/b.txt\n@@ -0,0 +1 @@\n+x\n")
                .find("already exists"),
            std::string::npos);
  EXPECT_NE(patch_error("--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+A\n"
                        "--- a/b.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-other\n")
                .find("does not match"),
            std::string::npos);
  EXPECT_EQ(get("a.txt"), "a\n");
}

TEST_F(CodeEditTest, PatchesNeverReachThroughSymlinks) {
  const std::string through_link =
      "--- a/secret_link\n+++ b/secret_link\n@@ -1 +1 @@\n-secret\n+owned\n";
  EXPECT_NE(patch_error(through_link).find("symbolic link"), std::string::npos);
  const std::string through_dir =
      "--- a/out/secret.txt\n+++ b/out/secret.txt\n@@ -1 +1 @@\n-secret\n+owned\n";
  EXPECT_NE(patch_error(through_dir).find("symbolic link"), std::string::npos);
  const std::string create_through_dir = "--- /dev/null\n+++ b/out/new.txt\n@@ -0,0 +1 @@\n+x\n";
  EXPECT_NE(patch_error(create_through_dir), "(applied)");
  const std::string delete_link = "--- a/secret_link\n+++ /dev/null\n@@ -1 +0,0 @@\n-secret\n";
  EXPECT_NE(patch_error(delete_link), "(applied)");
  EXPECT_EQ(secret(), "secret\n");
  EXPECT_FALSE(std::filesystem::exists(outside_ / "new.txt"));
  EXPECT_TRUE(std::filesystem::is_symlink(dir_ / "secret_link"));
  EXPECT_NE(patch_error("--- a/../outside/secret.txt\n+++ b/../outside/secret.txt\n"
                        "@@ -1 +1 @@\n-secret\n+owned\n"),
            "(applied)");
  EXPECT_EQ(secret(), "secret\n");
}

TEST_F(CodeEditTest, PatchPathsListsOldAndNewOnce) {
  auto files = parse_unified_diff(
      "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n--- /dev/null\n+++ b/y\n@@ -0,0 +1 @@\n+c\n");
  ASSERT_TRUE(files) << files.error().message;
  std::vector<std::string> names;
  for (const auto& path : patch_paths(*files)) names.push_back(path.str());
  EXPECT_EQ(names, (std::vector<std::string>{"x", "y"}));
}

}  // namespace
}  // namespace agents::tools
