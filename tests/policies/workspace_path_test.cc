#include "policies/workspace_path.h"

#include <gtest/gtest.h>

#include <string>

namespace policies {
namespace {

TEST(WorkspacePath, NormalizesRelativePaths) {
  EXPECT_EQ(normalize_workspace_path("src/./main.py"), "src/main.py");
  EXPECT_EQ(normalize_workspace_path("src//lib/"), "src/lib");
  EXPECT_EQ(normalize_workspace_path("./a"), "a");
  EXPECT_EQ(normalize_workspace_path(""), "");
  EXPECT_EQ(normalize_workspace_path("."), "");
}

TEST(WorkspacePath, RefusesPathsThatLeaveTheWorkspace) {
  EXPECT_EQ(normalize_workspace_path("../etc/passwd"), std::nullopt);
  EXPECT_EQ(normalize_workspace_path("src/../../etc"), std::nullopt);
  EXPECT_EQ(normalize_workspace_path("src/.."), std::nullopt);  // lexical: no ".." at all
  EXPECT_EQ(normalize_workspace_path("/etc/shadow"), std::nullopt);
  EXPECT_EQ(normalize_workspace_path(std::string("a\0b", 3)), std::nullopt);
  EXPECT_EQ(normalize_workspace_path(std::string(kMaxWorkspacePathBytes + 1, 'a')), std::nullopt);
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
  EXPECT_TRUE(glob_matches("**", ""));
  EXPECT_TRUE(glob_matches("**", "a/b/c.txt"));
  EXPECT_TRUE(glob_matches("src/**", "src"));
  EXPECT_TRUE(glob_matches("src/**", "src/a/b.py"));
  EXPECT_FALSE(glob_matches("src/**", "srcx/a"));
  EXPECT_FALSE(glob_matches("src/**", "lib/src/a"));
  EXPECT_FALSE(glob_matches("src/**", ""));
  EXPECT_TRUE(glob_matches("*.py", "main.py"));
  EXPECT_TRUE(glob_matches("*.py", ".hidden.py"));
  EXPECT_FALSE(glob_matches("*.py", "src/main.py"));
  EXPECT_TRUE(glob_matches("**/*.py", "main.py"));
  EXPECT_TRUE(glob_matches("**/*.py", "a/b/main.py"));
  EXPECT_FALSE(glob_matches("**/*.py", "a/b/main.pyc"));
  EXPECT_TRUE(glob_matches("src/*/test_?.py", "src/pkg/test_a.py"));
  EXPECT_FALSE(glob_matches("src/*/test_?.py", "src/pkg/test_ab.py"));
  EXPECT_TRUE(glob_matches("a/**/z", "a/z"));
  EXPECT_TRUE(glob_matches("a/**/z", "a/b/c/z"));
  EXPECT_FALSE(glob_matches("a/**/z", "a/b/c/y"));
}

TEST(WorkspaceGlob, HostileGlobsAndPathsStayCheap) {
  // Backtracking blow-ups would hang here; the matcher is polynomial.
  std::string path(4000, 'a');
  EXPECT_FALSE(glob_matches("*a*a*a*a*a*a*a*a*a*a*a*b", path));
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += "d/";
  deep += "x";
  EXPECT_FALSE(glob_matches("**/**/**/**/**/**/**/**/y", deep));
  EXPECT_TRUE(glob_matches("**/**/**/**/**/**/**/**/x", deep));
}

}  // namespace
}  // namespace policies
