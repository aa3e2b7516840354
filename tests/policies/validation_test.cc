// Every field of the schema, and every class of error: unknown keys, wrong types, impossible
// values, escaping globs, host networking without the opt-in, seccomp files that do not load.
#include <gtest/gtest.h>

#include <algorithm>

#include "policies/schema.h"
#include "tests/policies/test_support.h"

namespace policies::testing {
namespace {

using std::chrono::milliseconds;

// Every field set to something other than its default.
const char* const kFullPolicy = R"({
  "description": "every field",
  "tools": {
    "run_code": {"languages": ["bash", "node"]},
    "read_file": {"paths": ["src/**", "*.md"]},
    "write_file": {"paths": ["out/**"]},
    "list_files": {"paths": ["src"]},
    "http_get": {
      "allow_hosts": ["api.example.com", "*.example.org"],
      "methods": ["GET", "HEAD"],
      "max_response_size": "3M",
      "timeout": "2500ms",
      "allow_private_cidrs": ["127.0.0.1/32"]
    },
    "edit_file": {"paths": ["out/a/**"]},
    "search": {"paths": ["src/**"]},
    "apply_patch": {"paths": ["out/b/**"]},
    "git_diff": {}
  },
  "gpu": {"count": 2, "exclusive": false},
  "limits": {
    "memory": "768M", "pids": 99, "cpu": 1.5, "cpu_weight": 300, "cpu_time": "7s",
    "wall_time": "1m", "output": "2M", "file_size": "8M", "open_files": 100,
    "tmp_size": "32M", "workspace_size": "128M", "shm_size": "16M"
  },
  "network": "host",
  "allow_host_network": true,
  "workspace": "read-write",
  "seccomp": "default",
  "env": {"PYTHONHASHSEED": "0", "LANG": "C"},
  "budget": {"max_turns": 3, "max_tool_calls": 4, "max_tokens": 5000}
})";

bool contains_pointer(const nlohmann::json& value, const std::string& pointer) {
  return value.contains(nlohmann::json::json_pointer(pointer));
}

TEST(Validation, ReadsEveryField) {
  Policy policy = load_ok(kFullPolicy);
  EXPECT_EQ(policy.name, "test");
  EXPECT_EQ(policy.description, "every field");
  const ToolScope& scope = policy.scope;
  EXPECT_TRUE(scope.run_code.allowed);
  EXPECT_EQ(scope.run_code.languages, (std::vector<Language>{Language::bash, Language::node}));
  EXPECT_EQ(scope.read_file.globs, (std::vector<std::string>{"src/**", "*.md"}));
  EXPECT_EQ(scope.write_file.globs, (std::vector<std::string>{"out/**"}));
  EXPECT_EQ(scope.list_files.globs, (std::vector<std::string>{"src"}));
  EXPECT_EQ(scope.http_get.allow_hosts,
            (std::vector<std::string>{"api.example.com", "*.example.org"}));
  EXPECT_EQ(scope.http_get.methods, (std::vector<std::string>{"GET", "HEAD"}));
  EXPECT_EQ(scope.http_get.max_response_bytes, 3u << 20);
  EXPECT_EQ(scope.http_get.timeout, milliseconds(2500));
  EXPECT_EQ(scope.http_get.allow_private_cidrs, (std::vector<std::string>{"127.0.0.1/32"}));
  EXPECT_EQ(scope.edit_file.globs, (std::vector<std::string>{"out/a/**"}));
  EXPECT_EQ(scope.search.globs, (std::vector<std::string>{"src/**"}));
  EXPECT_EQ(scope.apply_patch.globs, (std::vector<std::string>{"out/b/**"}));
  EXPECT_TRUE(scope.git_diff.allowed);
  EXPECT_EQ(scope.gpu.count, 2u);
  EXPECT_FALSE(scope.gpu.exclusive);
  EXPECT_EQ(policy.limits.memory_bytes, 768u << 20);
  EXPECT_EQ(policy.limits.pids, 99u);
  EXPECT_EQ(policy.limits.cpu_millicores, 1500u);
  EXPECT_EQ(policy.limits.cpu_weight, 300u);
  EXPECT_EQ(policy.limits.cpu_time, milliseconds(7000));
  EXPECT_EQ(policy.limits.wall_time, milliseconds(60'000));
  EXPECT_EQ(policy.limits.output_bytes, 2u << 20);
  EXPECT_EQ(policy.limits.file_size_bytes, 8u << 20);
  EXPECT_EQ(policy.limits.open_files, 100u);
  EXPECT_EQ(policy.limits.tmp_bytes, 32u << 20);
  EXPECT_EQ(policy.limits.workspace_bytes, 128u << 20);
  EXPECT_EQ(policy.limits.shm_bytes, 16u << 20);
  EXPECT_EQ(policy.network, sandbox::NetworkMode::host);
  EXPECT_TRUE(policy.allow_host_network);
  EXPECT_EQ(policy.workspace, WorkspaceAccess::read_write);
  EXPECT_EQ(policy.seccomp, "default");
  EXPECT_EQ(policy.seccomp_filter, nullptr);
  EXPECT_EQ(policy.env,
            (std::map<std::string, std::string>{{"LANG", "C"}, {"PYTHONHASHSEED", "0"}}));
  EXPECT_EQ(scope.budget.max_turns, 3u);
  EXPECT_EQ(scope.budget.max_tool_calls, 4u);
  EXPECT_EQ(scope.budget.max_tokens, 5000u);
}

TEST(Validation, TheFullPolicyCoversEverySchemaField) {
  // A new field must be added to kFullPolicy (and the test above) and to docs/policies.md.
  nlohmann::json full = nlohmann::json::parse(kFullPolicy);
  for (const std::string& pointer : field_pointers(policy_schema())) {
    if (pointer == "/extends") continue;  // merge_test covers it
    EXPECT_TRUE(contains_pointer(full, pointer)) << pointer << " is not exercised";
  }
}

TEST(Validation, AnEmptyPolicyGetsTheDocumentedDefaults) {
  Policy policy = load_ok("{}");
  EXPECT_FALSE(policy.scope.run_code.allowed);
  EXPECT_FALSE(policy.scope.read_file.allowed);
  EXPECT_FALSE(policy.scope.http_get.allowed);
  EXPECT_EQ(policy.limits.memory_bytes, 512u << 20);
  EXPECT_EQ(policy.limits.wall_time, milliseconds(30'000));
  EXPECT_EQ(policy.network, sandbox::NetworkMode::none);
  EXPECT_EQ(policy.workspace, WorkspaceAccess::read_only);
  EXPECT_EQ(policy.scope.budget.max_turns, 20u);

  Policy tools = load_ok(R"({"tools": {"run_code": {}, "read_file": {}, "http_get": {}}})");
  EXPECT_EQ(tools.scope.run_code.languages, std::vector<Language>{Language::python});
  EXPECT_EQ(tools.scope.read_file.globs, std::vector<std::string>{"**"});
  EXPECT_TRUE(tools.scope.http_get.allow_hosts.empty());
  EXPECT_EQ(tools.scope.http_get.methods, std::vector<std::string>{"GET"});
  EXPECT_EQ(tools.scope.http_get.timeout, milliseconds(10'000));
}

TEST(Validation, ANegativeSizeNamesFileLineColumnPointerAndExpectation) {
  Diagnostics errors = load_errors("{\n  \"limits\": {\n      \"memory\": -5}}");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            "test.json:3:17: /limits/memory: expected a size like \"512M\", got -5");
}

TEST(Validation, ReportsEveryErrorOfAFileAtOnce) {
  Diagnostics errors = load_errors(R"({
    "tools": {
      "run_kode": {},
      "run_code": {"languages": "python"},
      "write_file": {"paths": ["src/**", "../outside/*", "/etc/*"]},
      "http_get": {"allow_hosts": ["ok.org", "*", "bad host"], "methods": ["POST"],
                   "allow_private_cidrs": ["10.0.0.0"]}
    },
    "limits": {"memory": "lots", "pids": 0, "cpu": 0, "cpu_time": "-1s", "wall_time": "0s",
               "open_files": 1.5},
    "gpu": {"count": 99, "exclusive": "yes"},
    "network": "bridge",
    "workspace": "rw",
    "env": {"1BAD": "x", "GOOD": 5},
    "budget": {"max_turns": 0},
    "description": 7,
    "extends": "no such/../name?",
    "colour": "blue"
  })");
  std::vector<std::string> pointers;
  for (const Diagnostic& error : errors) {
    EXPECT_EQ(error.file, "test.json");
    EXPECT_GT(error.line, 0u) << error.to_string();
    pointers.push_back(error.pointer);
  }
  std::vector<std::string> expected = {"/tools/run_kode",
                                       "/tools/run_code/languages",
                                       "/tools/write_file/paths/1",
                                       "/tools/write_file/paths/2",
                                       "/tools/http_get/allow_hosts/1",
                                       "/tools/http_get/allow_hosts/2",
                                       "/tools/http_get/methods/0",
                                       "/tools/http_get/allow_private_cidrs/0",
                                       "/limits/memory",
                                       "/limits/pids",
                                       "/limits/cpu",
                                       "/limits/cpu_time",
                                       "/limits/wall_time",
                                       "/limits/open_files",
                                       "/gpu/count",
                                       "/gpu/exclusive",
                                       "/network",
                                       "/workspace",
                                       "/env/1BAD",
                                       "/env/GOOD",
                                       "/budget/max_turns",
                                       "/description",
                                       "/extends",
                                       "/colour"};
  for (const std::string& pointer : expected) {
    EXPECT_NE(std::find(pointers.begin(), pointers.end(), pointer), pointers.end())
        << "no error for " << pointer << "\n"
        << format(errors);
  }
  EXPECT_EQ(errors.size(), expected.size()) << format(errors);
  std::string all = format(errors);
  EXPECT_EQ(to_error(errors).message, all.substr(0, all.size() - 1));  // for Expected callers
}

TEST(Validation, MessagesSayWhatWasExpected) {
  auto message = [](const std::string& text) {
    Diagnostics errors = load_errors(text);
    return errors.empty() ? std::string() : errors[0].message;
  };
  EXPECT_EQ(message(R"({"colour": 1})"),
            "unknown key \"colour\"; expected one of: extends, description, tools, gpu, limits, "
            "network, allow_host_network, workspace, seccomp, env, budget");
  EXPECT_EQ(message(R"({"tools": {"write_file": {"paths": ["../x"]}}})"),
            "expected a relative glob like \"src/**\" or \"*.py\"; a \"..\" segment escapes the "
            "workspace, got \"../x\"");
  EXPECT_EQ(message(R"({"limits": {"pids": "10"}})"),
            "expected an integer from 1 to 65536, got \"10\"");
  EXPECT_EQ(message(R"({"limits": "big"})").substr(0, 30), "expected an object with keys m");
  EXPECT_EQ(message(R"({"limits": {"wall_time": "soon"}})"),
            "expected a duration like \"10s\" or \"500ms\", got \"soon\"");
  EXPECT_EQ(message(R"({"limits": {"memory": "100K"}})"),
            "expected a size of at least 1M, got \"100K\"");
  EXPECT_EQ(message(R"({"network": "bridge"})"),
            "expected one of \"none\" \"host\", got \"bridge\"");
  EXPECT_EQ(message(R"({"tools": {"run_code": {"languages": ["ruby"]}}})"),
            "expected one of \"python\" \"bash\" \"c\" \"cpp\" \"node\", got \"ruby\"");
  EXPECT_EQ(message(R"({"env": {"A": "x\u0000y"}})"),
            "expected a string of at most 4096 bytes without NUL, got \"x\\u0000y\"");
  EXPECT_NE(message(R"({"tools": {"read_file": {"paths": )" +
                    nlohmann::json(std::vector<std::string>(300, "a")).dump() + "}}}")
                .find("at most 256 entries"),
            std::string::npos);
}

TEST(Validation, HostNetworkingNeedsTheExplicitOptIn) {
  Diagnostics errors = load_errors("{\n  \"network\": \"host\"\n}");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pointer, "/network");
  EXPECT_EQ(errors[0].line, 2u);
  EXPECT_NE(errors[0].message.find("\"allow_host_network\": true"), std::string::npos);
  Policy policy = load_ok(R"({"network": "host", "allow_host_network": true})");
  EXPECT_EQ(policy.network, sandbox::NetworkMode::host);
}

TEST(Validation, SeccompProfilesLoadFromFilesNextToThePolicy) {
  TempDir dir;
  std::filesystem::copy_file(AGENTD_FIXTURES_DIR "/docker-default-seccomp.json",
                             dir.path() / "docker.json");
  std::filesystem::path file = dir.write("p.json", R"({"seccomp": "docker.json"})");
  Validated<Policy> loaded = load_policy_file(file);
  ASSERT_TRUE(loaded.ok()) << format(loaded.errors);
  EXPECT_NE(loaded.value->seccomp_filter, nullptr);
  EXPECT_EQ(loaded.value->seccomp, (dir.path() / "docker.json").string());
}

TEST(Validation, ASeccompFileThatDoesNotParseIsAnErrorWithTheLoadersMessage) {
  TempDir dir;
  dir.write("bad.json", R"({"defaultAction": "SCMP_ACT_NOPE", "syscalls": []})");
  std::filesystem::path file = dir.write("p.json", "{\n \"seccomp\": \"bad.json\"}");
  Validated<Policy> loaded = load_policy_file(file);
  ASSERT_FALSE(loaded.ok());
  ASSERT_EQ(loaded.errors.size(), 1u);
  const Diagnostic& error = loaded.errors[0];
  EXPECT_EQ(error.file, file.string());
  EXPECT_EQ(error.line, 2u);
  EXPECT_EQ(error.pointer, "/seccomp");
  EXPECT_NE(error.message.find("does not load"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("SCMP_ACT_NOPE"), std::string::npos) << error.message;

  Diagnostics missing = load_errors(R"({"seccomp": "nothing-here.json"})");
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_NE(missing[0].message.find("needs a policy file"), std::string::npos);
  EXPECT_NE(load_errors(R"({"seccomp": "strict"})")[0].message.find("expected \"default\""),
            std::string::npos);
}

TEST(Validation, FileReferencesCanBeDisabled) {
  LoadOptions no_files;
  no_files.allow_files = false;
  Validated<Policy> loaded =
      load_policy_text(R"({"seccomp": "/etc/x.json"})", "t.json", no_files, "/tmp");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.errors[0].message.find("disabled"), std::string::npos);
  EXPECT_FALSE(load_policy_file("/etc/hostname", no_files).ok());
}

}  // namespace
}  // namespace policies::testing
