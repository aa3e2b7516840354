// search over a real workspace: regular expressions and fixed strings, the policy's files
// only, never through a symlink, and bounded however hostile the pattern or the files.
#include "agents/tools/search.h"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/agents/tools/temp_workspace.h"

namespace agents::tools {
namespace {

using testing::TempWorkspace;

class SearchTest : public TempWorkspace {
 protected:
  SearchResult found(const SearchRequest& request) const {
    auto result = search(ws(), request);
    EXPECT_TRUE(result) << result.error().message;
    return result ? *result : SearchResult{};
  }
  std::string error_of(const SearchRequest& request) const {
    auto result = search(ws(), request);
    return result ? "(searched)" : result.error().message;
  }
  static SearchRequest request(std::string pattern) {
    SearchRequest out;
    out.pattern = std::move(pattern);
    return out;
  }
};

TEST_F(SearchTest, FindsLinesByRegularExpressionAsPathLineText) {
  put("src/a.py", "import os\ndef main():\n    os.exit(1)\n");
  put("src/b.py", "def helper():\n    pass\n");
  put("README.md", "main is the entry point\n");
  SearchResult result = found(request("^def [a-z]+\\("));
  EXPECT_EQ(result.matches,
            (std::vector<std::string>{"src/a.py:2: def main():", "src/b.py:1: def helper():"}));
  EXPECT_EQ(result.files_searched, 3u);
  EXPECT_EQ(result.render(),
            "src/a.py:2: def main():\nsrc/b.py:1: def helper():\n"
            "[2 matching lines in 3 files searched]");
  SearchRequest python_only = request("main");
  python_only.path_glob = "src/**/*.py";
  EXPECT_EQ(found(python_only).matches, std::vector<std::string>{"src/a.py:2: def main():"});
}

TEST_F(SearchTest, FixedStringsAreNotRegularExpressions) {
  put("a.c", "int x = a[0] + (b*c);\nint y;\n(b*c)\n");
  SearchRequest fixed = request("(b*c)");
  fixed.fixed = true;
  EXPECT_EQ(found(fixed).matches,
            (std::vector<std::string>{"a.c:1: int x = a[0] + (b*c);", "a.c:3: (b*c)"}));
}

TEST_F(SearchTest, SkipsWhatThePolicyRefusesBinaryAndLargeFilesAndCountsThem) {
  put("src/a.txt", "needle\n");
  put("secrets/key", "needle\n");
  put("bin/blob", std::string("needle\0\n", 8));
  put("big.txt", std::string(kMaxSearchFileBytes + 1, 'x') + "needle\n");
  put(".git/config", "needle\n");  // git's own files are not code
  SearchRequest req = request("needle");
  req.may_read = [](const policies::WorkspacePath& path) { return path.str() != "secrets/key"; };
  SearchResult result = found(req);
  EXPECT_EQ(result.matches, std::vector<std::string>{"src/a.txt:1: needle"});
  EXPECT_EQ(result.skipped_by_policy, 1u);
  EXPECT_EQ(result.skipped_binary, 1u);
  EXPECT_EQ(result.skipped_large, 1u);
  EXPECT_NE(result.render().find("1 files skipped (the policy does not let search read them)"),
            std::string::npos);
}

TEST_F(SearchTest, NeverFollowsSymlinksOutOfTheWorkspace) {
  // secret_link and out/ point at outside/secret.txt, which holds "secret".
  SearchResult result = found(request("secret"));
  EXPECT_TRUE(result.matches.empty()) << result.matches.front();
  EXPECT_EQ(result.files_searched, 0u);
}

TEST_F(SearchTest, CapsMatchesAndLineLengthAndSaysSo) {
  std::string many;
  for (int i = 0; i < 50; ++i) many += "hit " + std::to_string(i) + "\n";
  put("many.txt", many + "hit " + std::string(1000, 'y') + "\n");
  SearchRequest capped = request("hit");
  capped.max_matches = 10;
  SearchResult result = found(capped);
  EXPECT_EQ(result.matches.size(), 10u);
  EXPECT_TRUE(result.match_capped);
  EXPECT_NE(result.render().find("stopped at max_matches"), std::string::npos);
  SearchResult long_line = found(request("yyy"));
  ASSERT_EQ(long_line.matches.size(), 1u);
  EXPECT_EQ(long_line.matches[0].size(), std::string("many.txt:51: ").size() + 300 + 3);  // "…"
  capped.max_matches = 1001;
  EXPECT_EQ(error_of(capped), "search: max_matches is 1001; expected 1 to 1000");
}

TEST_F(SearchTest, APatternThatDoesNotCompileNamesThePatternAndWhy) {
  const std::string error = error_of(request("a(b"));
  EXPECT_EQ(error.rfind("search: pattern \"a(b\" is not a valid POSIX extended regular "
                        "expression: ",
                        0),
            0u)
      << error;
  EXPECT_NE(error.find("Unmatched ( or \\("), std::string::npos) << error;  // regerror's
  EXPECT_NE(error_of(request("(a)\\1")).find("back-references"), std::string::npos);
  EXPECT_NE(error_of(request("(.*){1,32000}[bc]")).find("repetition counts"), std::string::npos);
  EXPECT_NE(error_of(request("((a{20}){20}){20}")).find("repetition counts"), std::string::npos);
  EXPECT_EQ(error_of(request("[{]{2}")), "(searched)");  // a '{' in brackets is a character
  EXPECT_NE(error_of(request(std::string(2000, 'a'))).find("the limit is 1000"), std::string::npos);
  SearchRequest bad_glob = request("a");
  bad_glob.path_glob = "../**";
  EXPECT_NE(error_of(bad_glob).find("path_glob"), std::string::npos);
}

// Patterns whose matching is slow in glibc on long lines ((a|aa)*c is quadratic) stay bounded:
// a regex sees at most kMaxRegexLineBytes of a line, and the whole search has a time limit.
TEST_F(SearchTest, RegexBombsOnLongLinesStayWithinTheirBounds) {
  std::string lines;
  for (int i = 0; i < 200; ++i) lines += std::string(5000, 'a') + "\n";
  put("bomb.txt", lines);
  put("one_line.txt", std::string(kMaxSearchFileBytes - 1, 'a'));
  for (const char* bomb : {"(a*)*b", "(a|aa)*c", "(a+)+$x", "(.*a){12}z"}) {
    SearchRequest req = request(bomb);
    req.max_time = std::chrono::milliseconds(500);
    const auto start = std::chrono::steady_clock::now();
    SearchResult result = found(req);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(result.matches.empty()) << bomb;
    EXPECT_LT(took, std::chrono::seconds(2)) << bomb;
  }
}

TEST_F(SearchTest, TheWorkBoundStopsASearchAndSaysSo) {
  for (int i = 0; i < 20; ++i) put("f" + std::to_string(i) + ".txt", std::string(1000, 'z') + "\n");
  SearchRequest req = request("needle");
  req.max_scan_bytes = 3000;
  SearchResult result = found(req);
  EXPECT_TRUE(result.work_capped);
  EXPECT_LT(result.files_searched, 20u);
  EXPECT_NE(result.render().find("ran out"), std::string::npos);
}

}  // namespace
}  // namespace agents::tools
