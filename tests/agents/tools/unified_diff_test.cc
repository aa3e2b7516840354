// The unified-diff reader: what git and diff -u write, and what a model or a hostile client
// could send instead (paths out of the workspace, renames, binary patches, lying counts).
#include "agents/tools/unified_diff.h"

#include <gtest/gtest.h>

namespace agents::tools {
namespace {

std::string error_of(std::string_view patch) {
  auto parsed = parse_unified_diff(patch);
  return parsed ? "(parsed)" : parsed.error().message;
}

TEST(UnifiedDiff, ReadsGitsOutputWithItsPrefixesHeadersAndNewlineMarkers) {
  const std::string patch =
      "diff --git a/src/a.py b/src/a.py\n"
      "index 83db48f..bf269f4 100644\n"
      "--- a/src/a.py\n"
      "+++ b/src/a.py\n"
      "@@ -1,3 +1,3 @@ def f():\n"
      " one\n"
      "-two\n"
      "+TWO\n"
      " three\n"
      "\\ No newline at end of file\n"
      "diff --git a/new.txt b/new.txt\n"
      "new file mode 100644\n"
      "--- /dev/null\n"
      "+++ b/new.txt\n"
      "@@ -0,0 +1 @@\n"
      "+hello\n";
  auto files = parse_unified_diff(patch);
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->size(), 2u);
  const FilePatch& changed = (*files)[0];
  EXPECT_EQ(changed.path().str(), "src/a.py");
  EXPECT_FALSE(changed.creates() || changed.deletes());
  ASSERT_EQ(changed.hunks.size(), 1u);
  const Hunk& hunk = changed.hunks[0];
  EXPECT_EQ(hunk.old_start, 1u);
  EXPECT_EQ(hunk.old_count, 3u);
  EXPECT_EQ(hunk.old_lines(), (std::vector<std::string_view>{"one", "two", "three"}));
  EXPECT_EQ(hunk.new_lines(), (std::vector<std::string_view>{"one", "TWO", "three"}));
  EXPECT_TRUE(hunk.old_ends_without_newline);  // after a context line: both sides
  EXPECT_TRUE(hunk.new_ends_without_newline);
  EXPECT_EQ(hunk.patch_line, 5u);
  const FilePatch& created = (*files)[1];
  EXPECT_TRUE(created.creates());
  EXPECT_EQ(created.path().str(), "new.txt");
  EXPECT_EQ(created.hunks[0].new_lines(), std::vector<std::string_view>{"hello"});
}

TEST(UnifiedDiff, ReadsDiffUWithoutPrefixesAndWithTimestamps) {
  auto files = parse_unified_diff(
      "--- notes.txt\t2024-01-01 10:00:00.000000000 +0000\n"
      "+++ notes.txt\t2024-01-02 10:00:00.000000000 +0000\n"
      "@@ -2 +2,2 @@\n"
      "-old\n"
      "+new\n"
      "+more\n");
  ASSERT_TRUE(files) << files.error().message;
  EXPECT_EQ((*files)[0].path().str(), "notes.txt");
  EXPECT_EQ((*files)[0].hunks[0].old_count, 1u);  // "-2" means one line
  EXPECT_EQ((*files)[0].hunks[0].new_count, 2u);
}

TEST(UnifiedDiff, AnEmptyFileGitCreatesOrDeletesHasNoHunks) {
  auto files = parse_unified_diff(
      "diff --git a/empty b/empty\nnew file mode 100644\nindex 0000000..e69de29\n"
      "diff --git a/gone b/gone\ndeleted file mode 100644\nindex e69de29..0000000\n");
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->size(), 2u);
  EXPECT_TRUE((*files)[0].creates());
  EXPECT_EQ((*files)[0].path().str(), "empty");
  EXPECT_TRUE((*files)[1].deletes());
  EXPECT_EQ((*files)[1].path().str(), "gone");
}

TEST(UnifiedDiff, PathsOutOfTheWorkspaceAreRefusedAsEveryToolRefusesThem) {
  for (const char* path : {"../x", "/etc/passwd", "a/../../x", "src/../../etc/shadow"}) {
    const std::string patch =
        std::string("--- ") + path + "\n+++ " + path + "\n@@ -1 +1 @@\n-a\n+b\n";
    const std::string error = error_of(patch);
    EXPECT_NE(error.find("outside the workspace"), std::string::npos) << path << ": " << error;
    EXPECT_EQ(parse_unified_diff(patch).error().code, kPatchPathRefused) << path;
  }
  // The "a/" prefix is stripped, and what is left must still stay inside.
  EXPECT_NE(error_of("--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n").find("outside the workspace"),
            std::string::npos);
  EXPECT_NE(error_of("--- /dev/null\n+++ /etc/cron.d/x\n@@ -0,0 +1 @@\n+* * * * * root sh\n")
                .find("outside the workspace"),
            std::string::npos);
}

TEST(UnifiedDiff, RenamesBinaryAndQuotedPathsAreRefusedSayingWhat) {
  EXPECT_NE(error_of("diff --git a/x b/y\nsimilarity index 100%\nrename from x\nrename to y\n")
                .find("renames and copies are not supported"),
            std::string::npos);
  EXPECT_NE(error_of("--- a/x\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n").find("renames are not supported"),
            std::string::npos);
  EXPECT_NE(error_of("diff --git a/i.png b/i.png\nBinary files a/i.png and b/i.png differ\n")
                .find("binary patches are not supported"),
            std::string::npos);
  EXPECT_NE(error_of("diff --git a/i b/i\nGIT binary patch\nliteral 3\n").find("binary"),
            std::string::npos);
  EXPECT_NE(error_of("--- \"a/x\\ty\"\n+++ \"b/x\\ty\"\n@@ -1 +1 @@\n-a\n+b\n").find("quoted path"),
            std::string::npos);
}

TEST(UnifiedDiff, HunksWhoseCountsLieNameTheHunkAndLine) {
  const std::string error = error_of("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n");
  EXPECT_EQ(error,
            "apply_patch: patch line 7: hunk 1 of \"f\" (@@ -1,3 +1,3 @@) should have 3 old and 3 "
            "new lines, but 1 old and 1 new are missing before the end; every line of a hunk "
            "starts with ' ', '-' or '+'");
  EXPECT_NE(error_of("--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n+c\n@@ nonsense\n").find("hunk"),
            std::string::npos);
  EXPECT_NE(error_of("--- a/f\n+++ b/f\n@@ -x +1 @@\n").find("cannot read hunk header"),
            std::string::npos);
  EXPECT_NE(error_of("--- a/f\n+++ b/f\n@@ -99999999999 +1 @@\n-a\n+b\n").find("hunk header"),
            std::string::npos);
  EXPECT_NE(error_of("--- /dev/null\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n").find("no old lines"),
            std::string::npos);
}

TEST(UnifiedDiff, NothingToApplyOrTooMuchIsAnError) {
  EXPECT_NE(error_of("").find("names no file"), std::string::npos);
  EXPECT_NE(error_of("just some prose\n").find("names no file"), std::string::npos);
  EXPECT_NE(error_of("--- a/f\n+++ b/f\n").find("has no hunks"), std::string::npos);
  EXPECT_NE(error_of("--- /dev/null\n+++ /dev/null\n@@ -0,0 +0,0 @@\n").find("both sides"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMaxPatchBytes + 1, ' ')).find("the limit is 1048576"),
            std::string::npos);
  const std::string twice = "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";
  EXPECT_NE(error_of(twice + twice).find("appears twice"), std::string::npos);
  std::string many;
  for (size_t i = 0; i <= kMaxPatchFiles; ++i)
    many += "--- /dev/null\n+++ b/f" + std::to_string(i) + "\n@@ -0,0 +1 @@\n+x\n";
  EXPECT_NE(error_of(many).find("more than 256 files"), std::string::npos);
}

TEST(UnifiedDiff, AnEmptyLineInAHunkIsAnEmptyContextLine) {
  auto files = parse_unified_diff("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n");
  ASSERT_TRUE(files) << files.error().message;
  EXPECT_EQ((*files)[0].hunks[0].old_lines(), (std::vector<std::string_view>{"a", "", "b"}));
}

}  // namespace
}  // namespace agents::tools
