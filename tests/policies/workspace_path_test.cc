#include "policies/workspace_path.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace policies {
namespace {

// The normalised form, or the refusal: what the check matches and what the tool opens.
std::string parsed(std::string_view path) {
  auto result = WorkspacePath::parse(path);
  return result ? result->str() : "refused: " + result.error().message;
}

std::string refusal(std::string_view path) {
  auto result = WorkspacePath::parse(path);
  return result ? "(accepted as \"" + result->str() + "\")" : result.error().message;
}

bool matches(std::string_view glob, std::string_view path) {
  auto result = WorkspacePath::parse(path);
  EXPECT_TRUE(result) << path;
  return result && glob_matches(glob, *result);
}

TEST(WorkspacePath, NormalizesRelativePaths) {
  EXPECT_EQ(parsed("src/./main.py"), "src/main.py");
  EXPECT_EQ(parsed("src//lib/"), "src/lib");
  EXPECT_EQ(parsed("./a"), "a");
  EXPECT_EQ(parsed(""), "");
  EXPECT_EQ(parsed("."), "");
  EXPECT_EQ(parsed("..."), "...");  // a name, not a parent
  EXPECT_EQ(parsed("a/..b/c.."), "a/..b/c..");
}

TEST(WorkspacePath, TheRootIsOpenedAsDotAndHasNoSegments) {
  auto root = WorkspacePath::parse("./");
  ASSERT_TRUE(root);
  EXPECT_TRUE(root->is_root());
  EXPECT_EQ(root->relative(), ".");
  EXPECT_TRUE(root->segments().empty());
  auto file = WorkspacePath::parse("a//b/./c.txt");
  ASSERT_TRUE(file);
  EXPECT_FALSE(file->is_root());
  EXPECT_EQ(file->relative(), "a/b/c.txt");
  EXPECT_EQ(file->segments(), (std::vector<std::string_view>{"a", "b", "c.txt"}));
}

TEST(WorkspacePath, RefusesEveryDotDotNamingThePathAndWhatIsExpected) {
  const std::string expected = "; use a path relative to the workspace root without \"..\"";
  EXPECT_EQ(refusal("../etc/passwd"), "path \"../etc/passwd\" is outside the workspace" + expected);
  EXPECT_EQ(refusal("src/../../etc"), "path \"src/../../etc\" is outside the workspace" + expected);
  EXPECT_EQ(refusal("/etc/shadow"), "path \"/etc/shadow\" is outside the workspace" + expected);
  // Inside the workspace lexically, and still refused: ".." is never resolved.
  EXPECT_EQ(refusal("x/../y"), "path \"x/../y\" has a \"..\" segment" + expected);
  EXPECT_EQ(refusal("src/.."), "path \"src/..\" has a \"..\" segment" + expected);
  EXPECT_EQ(refusal("a/b/../c"), "path \"a/b/../c\" has a \"..\" segment" + expected);
}

TEST(WorkspacePath, RefusesNulBytesAndOverlongPaths) {
  EXPECT_EQ(refusal(std::string("a\0b", 3)),
            "path \"a\\u0000b\" contains a NUL byte; use a path relative to the workspace root "
            "without \"..\"");
  const std::string longest(kMaxWorkspacePathBytes, 'a');
  EXPECT_EQ(parsed(longest), longest);
  const std::string overlong = refusal(longest + "a");
  EXPECT_NE(overlong.find("is longer than 4096 bytes"), std::string::npos) << overlong;
  EXPECT_LT(overlong.size(), 200u) << "the quoted path is shortened";
}

TEST(WorkspacePath, ParsingItsOwnOutputGivesTheSamePath) {
  for (const char* path : {"", ".", "a", "./a//b/", "src/./x.py", "...", ".hidden/.x"}) {
    auto once = WorkspacePath::parse(path);
    ASSERT_TRUE(once) << path;
    auto twice = WorkspacePath::parse(once->str());
    ASSERT_TRUE(twice) << path;
    EXPECT_EQ(*twice, *once) << path;
  }
}

// docs/policies.md ("Globs") shows what a model's path becomes; the page cannot drift.
TEST(WorkspacePath, TheExamplesInThePolicyDocsAreWhatParseDoes) {
  std::ifstream page(AGENTD_SOURCE_DIR "/docs/policies.md");
  ASSERT_TRUE(page) << "docs/policies.md is missing";
  std::string line;
  while (std::getline(page, line) && line != "```text paths") {
  }
  int examples = 0;
  while (std::getline(page, line) && line != "```") {
    const std::string arrow = " → ";
    const size_t at = line.find(arrow);
    ASSERT_NE(at, std::string::npos) << line;
    const std::string sent = nlohmann::json::parse(line.substr(0, at)).get<std::string>();
    auto result = WorkspacePath::parse(sent);
    EXPECT_EQ(result ? result->relative() : result.error().message, line.substr(at + arrow.size()))
        << line;
    ++examples;
  }
  EXPECT_GE(examples, 5) << "the \"text paths\" block of docs/policies.md";
}

TEST(WorkspaceGlob, AcceptsGlobsInsideTheWorkspace) {
  for (const char* glob : {"**", "src/**", "*.py", "src/*/test_?.py", "**/*.md", ".github/**"}) {
    EXPECT_EQ(glob_problem(glob), std::nullopt) << glob;
  }
}

TEST(WorkspaceGlob, RefusesGlobsThatEscapeOrAreMalformed) {
  EXPECT_NE(glob_problem("/etc/*")->find("absolute"), std::string::npos);
  EXPECT_NE(glob_problem("../*")->find("\"..\""), std::string::npos);
  EXPECT_NE(glob_problem("src/../../x")->find("\"..\""), std::string::npos);
  EXPECT_NE(glob_problem("")->find("empty"), std::string::npos);
  EXPECT_NE(glob_problem("a//b")->find("segments"), std::string::npos);
  EXPECT_NE(glob_problem("./a")->find("segments"), std::string::npos);
  EXPECT_NE(glob_problem("a**/b")->find("whole segment"), std::string::npos);
  EXPECT_NE(glob_problem(std::string("a\0", 2))->find("NUL"), std::string::npos);
  EXPECT_NE(glob_problem(std::string(kMaxGlobBytes + 1, 'a')), std::nullopt);
}

TEST(WorkspaceGlob, MatchesSegmentsStarsAndGlobstars) {
  EXPECT_TRUE(matches("**", ""));
  EXPECT_TRUE(matches("**", "a/b/c.txt"));
  EXPECT_TRUE(matches("src/**", "src"));
  EXPECT_TRUE(matches("src/**", "src/a/b.py"));
  EXPECT_FALSE(matches("src/**", "srcx/a"));
  EXPECT_FALSE(matches("src/**", "lib/src/a"));
  EXPECT_FALSE(matches("src/**", ""));
  EXPECT_TRUE(matches("*.py", "main.py"));
  EXPECT_TRUE(matches("*.py", ".hidden.py"));
  EXPECT_FALSE(matches("*.py", "src/main.py"));
  EXPECT_TRUE(matches("**/*.py", "main.py"));
  EXPECT_TRUE(matches("**/*.py", "a/b/main.py"));
  EXPECT_FALSE(matches("**/*.py", "a/b/main.pyc"));
  EXPECT_TRUE(matches("src/*/test_?.py", "src/pkg/test_a.py"));
  EXPECT_FALSE(matches("src/*/test_?.py", "src/pkg/test_ab.py"));
  EXPECT_TRUE(matches("a/**/z", "a/z"));
  EXPECT_TRUE(matches("a/**/z", "a/b/c/z"));
  EXPECT_FALSE(matches("a/**/z", "a/b/c/y"));
  // Globs see the normalised path, the one the file tools open.
  EXPECT_TRUE(matches("src/*.py", "./src//main.py"));
  EXPECT_TRUE(matches("**", "."));
}

TEST(WorkspaceGlob, DotDotCannotDodgeAGlob) {
  // By its text "src/../secret" is under "src/**", yet it names "secret". It is never a
  // WorkspacePath, so no glob can be asked about it.
  EXPECT_FALSE(WorkspacePath::parse("src/../secret"));
  EXPECT_FALSE(WorkspacePath::parse("src/.."));
}

TEST(WorkspaceGlob, HostileGlobsAndPathsStayCheap) {
  // Backtracking blow-ups would hang here; the matcher is polynomial.
  std::string path(4000, 'a');
  EXPECT_FALSE(matches("*a*a*a*a*a*a*a*a*a*a*a*b", path));
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += "d/";
  deep += "x";
  EXPECT_FALSE(matches("**/**/**/**/**/**/**/**/y", deep));
  EXPECT_TRUE(matches("**/**/**/**/**/**/**/**/x", deep));
}

}  // namespace
}  // namespace policies
