// Layer one: every kind of tool call is checked against the compiled ToolScope, and a refusal
// says why in words a model can act on.
#include "policies/tool_scope.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/policies/test_support.h"

namespace policies::testing {
namespace {

ToolScope scope_of(const std::string& name) {
  return compile(builtin(name), default_caps()).scope;
}

std::string reason(const std::optional<Refusal>& refusal) {
  return refusal ? refusal->reason : "(allowed)";
}

TEST(ToolScope, LanguagesRoundTripThroughTheirNames) {
  for (Language language :
       {Language::python, Language::bash, Language::c, Language::cpp, Language::node}) {
    EXPECT_EQ(parse_language(to_string(language)), language);
  }
  EXPECT_EQ(parse_language("ruby"), std::nullopt);
}

TEST(ToolScope, ToolsRoundTripThroughThePolicyFilesNames) {
  for (Tool tool : kTools) EXPECT_EQ(parse_tool(to_string(tool)), tool);
  EXPECT_EQ(to_string(Tool::run_code), "run_code");
  EXPECT_EQ(to_string(Tool::http_get), "http_get");
  EXPECT_EQ(parse_tool("final_answer"), std::nullopt);  // the agents' own, not a policy's
  EXPECT_EQ(parse_tool("Run_Code"), std::nullopt);
}

TEST(ToolScope, CheckByToolIsTheNamedCheck) {
  const ToolScope coder = scope_of("coder");
  const ToolScope reviewer = scope_of("reviewer");
  for (const ToolScope* scope : {&coder, &reviewer}) {
    for (Tool tool : kTools) {
      if (scope->allows(tool)) continue;
      const std::string refused = reason(scope->check(tool, "x"));
      EXPECT_EQ(refused.rfind(std::string(to_string(tool)) + " is not allowed by policy", 0), 0u)
          << refused;
    }
  }
  EXPECT_EQ(reason(coder.check(Tool::run_code, "python")), reason(coder.check_run_code("python")));
  EXPECT_EQ(reason(coder.check(Tool::run_code, "ruby")), reason(coder.check_run_code("ruby")));
  EXPECT_EQ(reason(reviewer.check(Tool::write_file, "a.txt")),
            reason(reviewer.check_write_file("a.txt")));
  EXPECT_EQ(reason(coder.check(Tool::http_get, "https://example.com/")),
            reason(coder.check_http_get("https://example.com/", "GET")));
  EXPECT_EQ(coder.allows(Tool::run_code), coder.run_code.allowed);
  EXPECT_EQ(reviewer.allows(Tool::write_file), reviewer.write_file.allowed);
  ASSERT_TRUE(coder.check(Tool::http_get, "https://example.com/").has_value());
  EXPECT_EQ(coder.check(Tool::http_get, "https://example.com/")->tool, "http_get");
}

TEST(ToolScope, RunCodeIsRefusedWithoutTheToolAndForUnlistedLanguages) {
  ToolScope reviewer = scope_of("reviewer");
  std::optional<Refusal> refusal = reviewer.check_run_code("python");
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->tool, "run_code");
  EXPECT_EQ(refusal->reason, "run_code is not allowed by policy \"reviewer\"; use another tool");

  ToolScope coder = scope_of("coder");
  EXPECT_EQ(coder.check_run_code("python"), std::nullopt);
  EXPECT_EQ(coder.check_run_code("cpp"), std::nullopt);
  EXPECT_EQ(reason(coder.check_run_code("node")),
            "language \"node\" is not allowed by policy \"coder\"; allowed: python, bash, c, cpp");
  EXPECT_NE(reason(coder.check_run_code("ruby")).find("\"ruby\""), std::string::npos);
}

TEST(ToolScope, FileToolsStayInsideTheWorkspaceAndTheirGlobs) {
  ToolScope coder = scope_of("coder");
  EXPECT_EQ(coder.check_write_file("src/main.py"), std::nullopt);
  EXPECT_EQ(coder.check_read_file("./README.md"), std::nullopt);
  EXPECT_EQ(coder.check_list_files("."), std::nullopt);
  EXPECT_EQ(reason(coder.check_write_file("../etc/passwd")),
            "path \"../etc/passwd\" is outside the workspace; use a path relative to the "
            "workspace root without \"..\"");
  EXPECT_NE(reason(coder.check_read_file("/etc/shadow")).find("outside the workspace"),
            std::string::npos);

  ToolScope researcher = scope_of("researcher");
  EXPECT_EQ(researcher.check_write_file("notes/findings.md"), std::nullopt);
  EXPECT_EQ(reason(researcher.check_write_file("src/main.py")),
            "path \"src/main.py\" is not allowed by policy \"researcher\"; allowed: notes/**");

  ToolScope tester = scope_of("tester");
  EXPECT_EQ(tester.check_read_file("tests/test_a.py"), std::nullopt);
  EXPECT_EQ(reason(tester.check_write_file("tests/test_a.py")),
            "write_file is not allowed by policy \"tester\"; use another tool");
}

TEST(ToolScope, EditAndPatchAreHeldToBothTheirGlobsAndWriteFiles) {
  const ToolScope scope = load_ok(R"({
    "tools": {
      "read_file": {"paths": ["**"]},
      "write_file": {"paths": ["src/**", "docs/**"]},
      "edit_file": {"paths": ["src/**"]},
      "apply_patch": {"paths": ["**"]}
    }
  })")
                              .scope;
  EXPECT_EQ(scope.check_edit_file("src/a.py"), std::nullopt);
  EXPECT_EQ(scope.check(Tool::edit_file, "src/a.py"), std::nullopt);
  // Its own globs refuse docs/, which write_file would allow.
  EXPECT_EQ(reason(scope.check_edit_file("docs/a.md")),
            "path \"docs/a.md\" is not allowed by policy \"test\"; allowed: src/**");
  // apply_patch's "**" never widens write_file's paths.
  EXPECT_EQ(scope.check_apply_patch("docs/a.md"), std::nullopt);
  const std::optional<Refusal> outside = scope.check_apply_patch("setup.py");
  ASSERT_TRUE(outside);
  EXPECT_EQ(outside->tool, "apply_patch");
  EXPECT_EQ(outside->reason,
            "path \"setup.py\" is not allowed by policy \"test\"; allowed: src/**, docs/** "
            "(apply_patch is held to write_file's paths)");
  for (const char* hostile : {"../x", "/etc/passwd", "src/../../x"}) {
    EXPECT_NE(scope.check_apply_patch(hostile), std::nullopt) << hostile;
    EXPECT_NE(scope.check_edit_file(hostile), std::nullopt) << hostile;
  }
  // search and git_diff are not granted.
  EXPECT_EQ(reason(scope.check(Tool::search, "")),
            "search is not allowed by policy \"test\"; use another tool");
  EXPECT_EQ(reason(scope.check(Tool::git_diff, "")),
            "git_diff is not allowed by policy \"test\"; use another tool");
}

TEST(ToolScope, ACodingToolWithoutItsPlainFileToolReachesNothing) {
  const ToolScope scope = load_ok(R"({
    "tools": {"edit_file": {}, "search": {"paths": ["src/**"]}, "git_diff": {}}
  })")
                              .scope;
  EXPECT_TRUE(scope.allows(Tool::edit_file));
  EXPECT_EQ(reason(scope.check_edit_file("a.py")),
            "edit_file needs write_file, which policy \"test\" does not allow; use another tool");
  EXPECT_EQ(scope.check(Tool::search, ""), std::nullopt);  // granted; files are checked one by one
  EXPECT_EQ(reason(scope.check_search("src/a.py")),
            "search needs read_file, which policy \"test\" does not allow; use another tool");
  EXPECT_EQ(scope.check(Tool::git_diff, ""), std::nullopt);
  EXPECT_EQ(scope.check(Tool::apply_patch, "")->reason,
            "apply_patch is not allowed by policy \"test\"; use another tool");
}

TEST(ToolScope, SearchReadsOnlyWhatBothGlobsAllow) {
  const ToolScope scope = load_ok(R"({
    "tools": {"read_file": {"paths": ["src/**", "secrets/**"]}, "search": {"paths": ["src/**"]}}
  })")
                              .scope;
  EXPECT_EQ(scope.check_search("src/deep/a.py"), std::nullopt);
  EXPECT_NE(scope.check_search("secrets/key"), std::nullopt);  // read_file could, search may not
  EXPECT_NE(scope.check_search("other.txt"), std::nullopt);
}

TEST(ToolScope, HttpGetChecksMethodSchemeAndHostAllowlist) {
  ToolScope researcher = scope_of("researcher");
  EXPECT_EQ(researcher.check_http_get("https://docs.python.org/3/", "GET"), std::nullopt);
  EXPECT_EQ(researcher.check_http_get("https://en.wikipedia.org/wiki/C", "GET"), std::nullopt);
  EXPECT_EQ(reason(researcher.check_http_get("https://docs.python.org/", "POST")),
            "method \"POST\" is not allowed; allowed: GET");
  EXPECT_NE(reason(researcher.check_http_get("https://evil.example/", "GET"))
                .find("host \"evil.example\" is not allowed by policy \"researcher\""),
            std::string::npos);
  EXPECT_NE(reason(researcher.check_http_get("https://docs.python.org.evil.example/", "GET"))
                .find("not allowed"),
            std::string::npos);
  EXPECT_NE(reason(researcher.check_http_get("https://docs.python.org@evil.example/", "GET"))
                .find("credentials"),
            std::string::npos);
  EXPECT_NE(reason(researcher.check_http_get("file:///etc/passwd", "GET")).find("scheme"),
            std::string::npos);
  EXPECT_NE(reason(researcher.check_http_get("http://169.254.169.254/latest/", "GET"))
                .find("not allowed"),
            std::string::npos);

  EXPECT_EQ(reason(scope_of("coder").check_http_get("https://docs.python.org/", "GET")),
            "http_get is not allowed by policy \"coder\"; use another tool");
}

TEST(ToolScope, HostAndPrivateAddressHelpersForTheHttpTool) {
  HttpGetScope http;
  http.allowed = true;
  http.allow_hosts = {"*.example.com", "[::1]"};
  http.allow_private_cidrs = {"127.0.0.1/32"};
  EXPECT_TRUE(http.allows_host("api.example.com"));
  EXPECT_TRUE(http.allows_host("::1"));
  EXPECT_FALSE(http.allows_host("example.com"));
  EXPECT_TRUE(http.allows_private_address("127.0.0.1"));
  EXPECT_FALSE(http.allows_private_address("127.0.0.2"));
  EXPECT_FALSE(http.allows_private_address("10.0.0.1"));
}

TEST(ToolScope, GpuRequestsAreCappedAtThePolicysCount) {
  EXPECT_EQ(scope_of("gpu-coder").check_gpu(1), std::nullopt);
  EXPECT_EQ(reason(scope_of("gpu-coder").check_gpu(2)),
            "asked for 2 GPU(s); policy \"gpu-coder\" allows 1");
  EXPECT_EQ(scope_of("coder").check_gpu(0), std::nullopt);
  EXPECT_TRUE(scope_of("coder").check_gpu(1));
}

TEST(ToolScope, RefusalsQuoteHostileArgumentsSafely) {
  ToolScope coder = scope_of("coder");
  std::string hostile = std::string("../\x01\n\xff\xfe") + std::string(500, 'x');
  for (const std::optional<Refusal>& refusal :
       {coder.check_write_file(hostile), coder.check_run_code(hostile),
        coder.check_http_get(hostile, hostile)}) {
    ASSERT_TRUE(refusal);
    EXPECT_LT(refusal->reason.size(), 400u);
    EXPECT_EQ(refusal->reason.find('\n'), std::string::npos);
    EXPECT_NO_THROW(nlohmann::json(refusal->reason).dump()) << "not valid UTF-8";
  }
}

}  // namespace
}  // namespace policies::testing
