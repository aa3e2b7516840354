// parse_task_spec: what a client may send, what it gets back when the spec is wrong (the JSON
// path and what was expected), and that to_json reads back to the same spec.
#include "agents/task_spec.h"

#include <gtest/gtest.h>

#include <fstream>

#include "agents/runtime/base64.h"
#include "policies/tool_scope.h"

namespace agents {
namespace {

using nlohmann::json;

json minimal() {
  return json::parse(R"({
    "pattern": "fan_out", "prompt": "Summarise three books.",
    "roles": {"planner": {"model": "strong", "policy": "reviewer"},
              "worker": {"model": "cheap", "policy": "coder"},
              "reducer": {"model": "strong", "policy": "reviewer"}}})");
}

std::string error_of(const json& spec) {
  auto parsed = parse_task_spec(spec);
  return parsed ? "accepted" : parsed.error().message;
}

TEST(TaskSpec, MinimalFanOutHasDefaults) {
  auto spec = parse_task_spec(minimal());
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->pattern, PatternKind::fan_out);
  EXPECT_EQ(spec->fan_out.max_subtasks, 16u);
  EXPECT_EQ(spec->roles.at("worker").model, "cheap");
  EXPECT_EQ(spec->budgets.tokens, 0u);
  EXPECT_FALSE(spec->monitor.enabled);
  EXPECT_FALSE(spec->resume);
}

TEST(TaskSpec, ErrorsNameThePathAndWhatWasExpected) {
  json spec = minimal();
  spec["roles"]["worker"]["model"] = 5;
  EXPECT_EQ(error_of(spec),
            "/roles/worker/model: expected a non-empty string of at most 256 "
            "bytes, got 5");
  spec = minimal();
  spec["pattern"] = "swarm";
  EXPECT_EQ(error_of(spec),
            "/pattern: expected one of fan_out, dag, best_of_n, vote, moa, got "
            "\"swarm\"");
  spec = minimal();
  spec["options"] = {{"max_subtasks", 0}};
  EXPECT_EQ(error_of(spec), "/options/max_subtasks: expected an integer from 1 to 1024, got 0");
  spec = minimal();
  spec["options"] = {{"n", 3}};
  EXPECT_EQ(error_of(spec),
            "/options/n: unknown field; expected one of: max_subtasks, max_replans");
  spec = minimal();
  spec["roles"].erase("reducer");
  EXPECT_EQ(error_of(spec),
            "/roles/reducer: expected an object {model, policy}: fan_out needs "
            "this role");
  spec = minimal();
  spec["roles"]["judge"] = {{"model", "m"}, {"policy", "p"}};
  EXPECT_EQ(error_of(spec),
            "/roles/judge: unknown role for fan_out; expected one of: planner, "
            "worker, reducer");
  spec = minimal();
  spec["budgets"] = {{"wall_time_ms", -5}};
  EXPECT_EQ(error_of(spec).substr(0, 44), "/budgets/wall_time_ms: expected an integer f");
  spec = minimal();
  spec["output_schema"] = {{"type", "object"}, {"patternProperties", json::object()}};
  EXPECT_EQ(error_of(spec).substr(0, 49), "/output_schema/patternProperties: unsupported key");
  spec = minimal();
  spec["output_schema"] = 5;
  EXPECT_EQ(error_of(spec), "/output_schema: expected a schema object, got 5");
  EXPECT_EQ(error_of(json::array()), "/: expected an object, got []");
  spec = minimal();
  spec["prompt"] = "";
  EXPECT_EQ(error_of(spec).substr(0, 30), "/prompt: expected a non-empty ");
}

// A key is one pointer token, escaped as RFC 6901 says ("~" → "~0", "/" → "~1"), so that the
// path a client gets back resolves to the offending member and to no other.
TEST(TaskSpec, ErrorPathsEscapeKeysAsJsonPointerTokens) {
  json spec = minimal();
  spec["options"] = {{"a/b~c", 1}};
  EXPECT_EQ(error_of(spec).substr(0, 34), "/options/a~1b~0c: unknown field; e");
  EXPECT_TRUE(spec.contains(json::json_pointer("/options/a~1b~0c")));
  spec = minimal();
  spec["roles"]["x/~1"] = spec["roles"]["worker"];
  EXPECT_EQ(error_of(spec).substr(0, 32), "/roles/x~1~01: unknown role for ");
  EXPECT_TRUE(spec.contains(json::json_pointer("/roles/x~1~01")));
  spec = minimal();
  spec["roles"]["worker"]["~"] = "x";
  EXPECT_EQ(error_of(spec).substr(0, 31), "/roles/worker/~0: unknown field");
}

TEST(TaskSpec, InputFilesAreRelativeBoundedAndDecoded) {
  json spec = minimal();
  spec["input_files"] = {{{"path", "data/a.txt"}, {"content", "hello"}},
                         {{"path", "b.bin"}, {"content", "AAEC/w=="}, {"encoding", "base64"}}};
  auto parsed = parse_task_spec(spec);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->input_files[1].content, std::string("\x00\x01\x02\xff", 4));
  for (const char* bad : {"../x", "/etc/passwd", "a//b", "a/./b", ""}) {
    spec["input_files"] = {{{"path", bad}, {"content", "x"}}};
    EXPECT_EQ(error_of(spec).substr(0, 22), "/input_files/0/path: e") << bad;
  }
  spec["input_files"] = {{{"path", "a"}, {"content", "x"}}, {{"path", "a"}, {"content", "y"}}};
  EXPECT_EQ(error_of(spec).substr(0, 20), "/input_files/1/path:");
  spec["input_files"] = {{{"path", "a"}, {"content", "AAE"}, {"encoding", "base64"}}};
  EXPECT_EQ(error_of(spec),
            "/input_files/0/content: expected padded base64 (encoding is "
            "base64), got \"AAE\"");
}

// docs/testing.md's example `tests` is a valid best_of_n spec's tests, read as it says.
TEST(TaskSpec, TheTestingDocsExampleParses) {
  std::ifstream file(AGENTD_SOURCE_DIR "/docs/testing.md");
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const size_t start = text.find("```json tests\n");
  ASSERT_NE(start, std::string::npos);
  const size_t body = start + 14;
  json spec = minimal();
  spec["pattern"] = "best_of_n";
  spec["roles"] = {{"coder", {{"model", "m"}, {"policy", "coder"}}}};
  spec["tests"] = json::parse(text.substr(body, text.find("```", body) - body));
  auto parsed = parse_task_spec(spec);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->tests.size(), 4u);
  EXPECT_EQ(parsed->tests[1].expected_exit_status, 1);
  EXPECT_FALSE(parsed->tests[1].expected_stdout);
  EXPECT_EQ(parsed->tests[2].expected_files.at("out/sum.txt"), "5");
  EXPECT_EQ(parsed->tests[2].time_limit, std::chrono::milliseconds(2000));
  EXPECT_EQ(parsed->tests[3].time_limit, std::chrono::milliseconds(5000));
  EXPECT_EQ(parsed->tests[3].language, "python");
}

TEST(TaskSpec, PatternSpecificChecks) {
  json spec = minimal();
  spec["pattern"] = "best_of_n";
  spec["roles"] = {{"coder", {{"model", "m"}, {"policy", "coder"}}}};
  EXPECT_EQ(error_of(spec).substr(0, 35), "/tests: expected at least one test ");
  spec["tests"] = {{{"stdin", "1 2"}, {"expected_stdout", "3"}},
                   {{"name", "script"}, {"language", "python"}, {"code", "import solution"}}};
  auto parsed = parse_task_spec(spec);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->tests[0].name, "test 1");
  EXPECT_EQ(parsed->tests[1].language, "python");
  EXPECT_EQ(parsed->tests[0].time_limit, std::chrono::milliseconds(5000));
  EXPECT_EQ(parsed->tests[0].expected_exit_status, 0);
  spec["tests"] = {{{"language", "cobol"}, {"code", "x"}}};
  EXPECT_EQ(error_of(spec).substr(0, 26), "/tests/0/language: expecte");
  spec["tests"] = {{{"language", "bash"}, {"code", "x"}}};
  EXPECT_EQ(error_of(spec).substr(0, 36), "/tests/0/language: expected \"python\"");
  spec["tests"] = {{{"stdin", "1"}, {"code", "x"}, {"language", "python"}}};
  EXPECT_EQ(error_of(spec).substr(0, 23), "/tests/0/code: expected");

  // Program tests: what the program must do, each part checked where it is.
  spec["tests"] = {{{"stdin", "1"},
                    {"expected_exit_status", 3},
                    {"expected_files", {{"out/a.txt", "x"}}},
                    {"time_limit_ms", 250}}};
  parsed = parse_task_spec(spec);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_FALSE(parsed->tests[0].expected_stdout);
  EXPECT_EQ(parsed->tests[0].expected_exit_status, 3);
  EXPECT_EQ(parsed->tests[0].expected_files.at("out/a.txt"), "x");
  EXPECT_EQ(parsed->tests[0].time_limit, std::chrono::milliseconds(250));
  spec["tests"] = {{{"stdin", "1"}}};
  EXPECT_EQ(error_of(spec).substr(0, 39), "/tests/0/expected_stdout: expected what");
  spec["tests"] = {{{"expected_stdout", "1"}, {"time_limit_ms", 50}}};
  EXPECT_EQ(error_of(spec).substr(0, 48), "/tests/0/time_limit_ms: expected an integer from");
  spec["tests"] = {{{"expected_exit_status", 256}}};
  EXPECT_EQ(error_of(spec).substr(0, 31), "/tests/0/expected_exit_status: ");
  spec["tests"] = {{{"expected_files", {{"../up", "x"}}}}};
  EXPECT_EQ(error_of(spec).substr(0, 36), "/tests/0/expected_files/..~1up: expe");
  spec["tests"] = {{{"expected_exit_status", 0}, {"code", "x"}, {"language", "python"}}};
  EXPECT_EQ(error_of(spec).substr(0, 23), "/tests/0/code: expected");

  spec = minimal();
  spec["pattern"] = "vote";
  spec["roles"] = {{"voter", {{"model", "m"}, {"policy", "reviewer"}}}};
  spec["options"] = {{"ties", "judge"}};
  EXPECT_EQ(error_of(spec).substr(0, 15), "/roles/judge: e");
  spec["options"] = {{"normalization", "fuzzy"}};
  EXPECT_EQ(error_of(spec).substr(0, 31), "/options/normalization: expecte");
  spec["options"] = {{"quorum", 1.5}};
  EXPECT_EQ(error_of(spec).substr(0, 24), "/options/quorum: expecte");
  spec["options"] = json::object();
  spec["monitor"] = {{"interval_ms", 1000}};
  EXPECT_EQ(error_of(spec).substr(0, 17), "/roles/monitor: e");
}

TEST(TaskSpec, ToJsonReadsBackToTheSameSpec) {
  json spec = minimal();
  spec["pattern"] = "dag";
  spec["roles"].erase("reducer");
  spec["options"] = {{"max_steps", 7}, {"allowed_tools", {"agent", "run_code"}}};
  spec["output_schema"] = {{"type", "object"}};
  spec["budgets"] = {{"tokens", 1000}, {"cost_usd", 0.5}, {"wall_time_ms", 60000}};
  spec["input_files"] = {{{"path", "x.bin"}, {"content", "AP8="}, {"encoding", "base64"}}};
  spec["shared_resources"] = {{{"name", "scratch"}}};
  spec["resume"] = true;
  auto first = parse_task_spec(spec);
  ASSERT_TRUE(first.ok()) << first.error().message;
  const json written = to_json(*first);
  auto second = parse_task_spec(written);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(to_json(*second), written);
  EXPECT_EQ(second->dag.allowed_tools, (std::vector<std::string>{"agent", "run_code"}));
  EXPECT_EQ(second->input_files[0].content, std::string("\x00\xff", 2));
  EXPECT_EQ(second->budgets.wall_time, std::chrono::milliseconds(60000));
  EXPECT_TRUE(second->resume);
}

TEST(TaskSpec, DagAllowedToolsAreThePolicyToolsAndAgent) {
  json spec = minimal();
  spec["pattern"] = "dag";
  spec["roles"].erase("reducer");
  json names = {"agent"};
  for (policies::Tool tool : policies::kTools) names.push_back(policies::to_string(tool));
  spec["options"] = {{"allowed_tools", names}};
  auto parsed = parse_task_spec(spec);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(json(parsed->dag.allowed_tools), names);
  for (const char* other : {"final_answer", "exec", "Agent", ""}) {
    spec["options"] = {{"allowed_tools", {"agent", other}}};
    EXPECT_EQ(error_of(spec).rfind("/options/allowed_tools: expected tool names among agent, "
                                   "run_code, http_get, read_file, write_file, list_files",
                                   0),
              0u)
        << error_of(spec);
  }
}

TEST(TaskSpec, ARepositoryIsAPathOrABundleWithItsTests) {
  json spec = minimal();
  spec["repository"] = {{"path", "/srv/git/calc"},
                        {"test_command", {"python3", "-m", "pytest", "--junitxml={junit_xml}"}},
                        {"protected_paths", {"tests/**", "**/conftest.py"}},
                        {"hidden_tests", {{{"path", "tests/test_hidden.py"}, {"content", "x"}}}},
                        {"keep_branch", false}};
  auto parsed = parse_task_spec(spec);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_TRUE(parsed->repository);
  EXPECT_EQ(parsed->repository->ref, "HEAD");
  EXPECT_EQ(parsed->repository->test_command.back(), "--junitxml={junit_xml}");
  EXPECT_EQ(parsed->repository->hidden_tests.at(0).content, "x");
  EXPECT_FALSE(parsed->repository->keep_branch);
  auto again = parse_task_spec(to_json(*parsed));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(to_json(*again), to_json(*parsed));

  json bundled = minimal();
  bundled["repository"] = {{"bundle", runtime::base64_encode("# v2 git bundle\n")}};
  auto with_bundle = parse_task_spec(bundled);
  ASSERT_TRUE(with_bundle.ok()) << with_bundle.error().message;
  EXPECT_EQ(with_bundle->repository->bundle, "# v2 git bundle\n");
  EXPECT_EQ(parse_task_spec(to_json(*with_bundle))->repository->bundle, "# v2 git bundle\n");
}

TEST(TaskSpec, RepositoryMistakesNameThePath) {
  auto with = [](json repository, const char* pattern = "fan_out") {
    json spec = minimal();
    spec["repository"] = std::move(repository);
    if (std::string(pattern) == "best_of_n") {
      spec["pattern"] = "best_of_n";
      spec["roles"] = {{"coder", {{"model", "m"}, {"policy", "coder"}}}};
    } else if (std::string(pattern) == "vote") {
      spec["pattern"] = "vote";
      spec["roles"] = {{"voter", {{"model", "m"}, {"policy", "coder"}}}};
    }
    return error_of(spec);
  };
  EXPECT_NE(with(json::object()).find("/repository/path: expected exactly one of path"),
            std::string::npos);
  EXPECT_NE(with({{"path", "/a"}, {"bundle", "eA=="}}).find("exactly one of"), std::string::npos);
  EXPECT_NE(with({{"path", "relative/repo"}}).find("/repository/path: expected an absolute path"),
            std::string::npos);
  EXPECT_NE(with({{"bundle", "not base64!"}}).find("/repository/bundle: expected"),
            std::string::npos);
  EXPECT_NE(with({{"path", "/a"}, {"ref", "--upload-pack=x"}}).find("/repository/ref"),
            std::string::npos);
  EXPECT_NE(with({{"path", "/a"}, {"ref", "main~1:x"}}).find("/repository/ref"), std::string::npos);
  EXPECT_NE(with({{"path", "/a"}, {"protected_paths", {"../x"}}})
                .find("/repository/protected_paths/0: expected a relative glob"),
            std::string::npos);
  EXPECT_NE(with({{"path", "/a"}, {"test_command", {""}}}).find("/repository/test_command"),
            std::string::npos);
  EXPECT_NE(with({{"path", "/a"}, {"hidden_tests", {{{"path", "/etc/x"}, {"content", ""}}}}})
                .find("/repository/hidden_tests/0/path"),
            std::string::npos);
  EXPECT_NE(with({{"path", "/a"}, {"unknown", 1}}).find("/repository/unknown: unknown field"),
            std::string::npos);
  EXPECT_NE(with({{"path", "/a"}}, "vote").find("only best_of_n, fan_out and dag"),
            std::string::npos);
  EXPECT_NE(with({{"path", "/a"}}, "best_of_n").find("/repository/test_command"), std::string::npos)
      << "best_of_n on a repository is judged by its tests";
  json with_tests = minimal();
  with_tests["pattern"] = "best_of_n";
  with_tests["roles"] = {{"coder", {{"model", "m"}, {"policy", "coder"}}}};
  with_tests["tests"] = {{{"name", "t"}, {"stdin", ""}, {"expected_stdout", ""}}};
  with_tests["repository"] = {{"path", "/a"}, {"test_command", {"make", "test"}}};
  EXPECT_NE(error_of(with_tests).find("/tests: expected none with a repository"),
            std::string::npos);
  json with_inputs = minimal();
  with_inputs["input_files"] = {{{"path", "a"}, {"content", "b"}}};
  with_inputs["repository"] = {{"path", "/a"}};
  EXPECT_NE(error_of(with_inputs).find("/input_files: expected none with a repository"),
            std::string::npos);
}

TEST(Base64, RoundTripsAndRefusesNonCanonicalText) {
  for (const std::string& bytes :
       {std::string(), std::string("f"), std::string("fo"), std::string("foo"), std::string("foob"),
        std::string("\0\xff\x10", 3)})
    EXPECT_EQ(runtime::base64_decode(runtime::base64_encode(bytes)), bytes);
  EXPECT_EQ(runtime::base64_encode("foobar"), "Zm9vYmFy");
  for (const char* bad : {"Zm9", "Zm9v!A==", "Z===", "Zm=v", "Zm9v\n"})
    EXPECT_EQ(runtime::base64_decode(bad), std::nullopt) << bad;
}

}  // namespace
}  // namespace agents
