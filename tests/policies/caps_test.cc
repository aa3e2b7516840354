// Server-wide caps: parsed like policies, and every policy is clamped to them, visibly.
#include "policies/caps.h"

#include <gtest/gtest.h>

#include "tests/policies/test_support.h"

namespace policies::testing {
namespace {

using std::chrono::milliseconds;

Caps caps_ok(const std::string& text) {
  Validated<Document> document = parse_document(text, "caps.json");
  EXPECT_TRUE(document.ok()) << format(document.errors);
  if (!document.ok()) return default_caps();
  Validated<Caps> caps = read_caps(*document.value);
  EXPECT_TRUE(caps.ok()) << format(caps.errors);
  return caps.ok() ? *caps.value : default_caps();
}

TEST(Caps, DefaultsAreTheDocumentedBuiltIns) {
  Caps caps = default_caps();
  EXPECT_EQ(caps.limits.memory_bytes, 8ull << 30);
  EXPECT_EQ(caps.limits.pids, 4096u);
  EXPECT_EQ(caps.limits.cpu_millicores, 8000u);
  EXPECT_EQ(caps.limits.wall_time, milliseconds(3'600'000));
  EXPECT_EQ(caps.max_gpus, 8u);
  EXPECT_FALSE(caps.http_hosts.has_value());
  EXPECT_FALSE(caps.allow_private_cidrs);
  EXPECT_FALSE(caps.allow_host_network);
  EXPECT_EQ(caps.budget.max_tokens, 10'000'000u);
}

TEST(Caps, ReadsEveryFieldAndRejectsUnknownOnes) {
  Caps caps = caps_ok(R"({
    // operator's ceiling
    "limits": {"memory": "2G", "wall_time": "5m"},
    "gpus": 1,
    "http": {"hosts": ["*.python.org"], "max_response_size": "4M", "timeout": "30s",
             "allow_private_cidrs": true},
    "allow_host_network": true,
    "budget": {"max_turns": 10}
  })");
  EXPECT_EQ(caps.limits.memory_bytes, 2ull << 30);
  EXPECT_EQ(caps.limits.wall_time, milliseconds(300'000));
  EXPECT_EQ(caps.limits.pids, 4096u);  // default
  EXPECT_EQ(caps.max_gpus, 1u);
  EXPECT_EQ(caps.http_hosts, std::vector<std::string>{"*.python.org"});
  EXPECT_EQ(caps.http_max_response_bytes, 4u << 20);
  EXPECT_EQ(caps.http_timeout, milliseconds(30'000));
  EXPECT_TRUE(caps.allow_private_cidrs);
  EXPECT_TRUE(caps.allow_host_network);
  EXPECT_EQ(caps.budget.max_turns, 10u);

  Validated<Document> bad = parse_document("{\"gpus\": -1,\n \"limit\": {}}", "caps.json");
  ASSERT_TRUE(bad.ok());
  Validated<Caps> read = read_caps(*bad.value);
  ASSERT_EQ(read.errors.size(), 2u) << format(read.errors);
  EXPECT_EQ(read.errors[0].to_string(),
            "caps.json:1:10: /gpus: expected an integer from 0 to 16, got -1");
  EXPECT_EQ(read.errors[1].pointer, "/limit");
  EXPECT_FALSE(read_caps(nlohmann::json::array(), "config.json: caps").ok());
  EXPECT_TRUE(read_caps(nlohmann::json{{"gpus", 2}}, "config.json: caps").ok());
}

TEST(Caps, LoadsFromAFile) {
  TempDir dir;
  std::filesystem::path file = dir.write("caps.json", R"({"gpus": 3})");
  Validated<Caps> caps = load_caps_file(file);
  ASSERT_TRUE(caps.ok()) << format(caps.errors);
  EXPECT_EQ(caps.value->max_gpus, 3u);
  EXPECT_FALSE(load_caps_file(dir.path() / "missing.json").ok());
  EXPECT_EQ(to_json(*caps.value)["gpus"], 3);
}

TEST(Clamping, LimitsAboveTheCapsAreClampedWithANote) {
  Policy policy = load_ok(R"({"limits": {"memory": "8G", "pids": 10, "cpu": 4,
                                         "wall_time": "2h", "output": "100M"}})");
  Caps caps = caps_ok(R"({"limits": {"memory": "2G", "cpu": 1.5, "wall_time": "10m"}})");
  Compiled compiled = compile(policy, caps);
  EXPECT_EQ(compiled.effective.limits.memory_bytes, 2ull << 30);
  EXPECT_EQ(compiled.effective.limits.pids, 10u);
  EXPECT_EQ(compiled.effective.limits.cpu_millicores, 1500u);
  EXPECT_EQ(compiled.spec.limits.memory_bytes, 2ull << 30);
  EXPECT_EQ(compiled.spec.limits.wall_time, milliseconds(600'000));
  EXPECT_EQ(compiled.notes, (std::vector<std::string>{
                                "clamped /limits/memory from 8G to 2G",
                                "clamped /limits/cpu from 4 to 1.5",
                                "clamped /limits/wall_time from 2h to 10m",
                                "clamped /limits/output from 100M to 64M",
                            }));
  EXPECT_EQ(to_json(compiled.effective)["limits"]["memory"], "2G");
}

TEST(Clamping, EveryCappedFieldIsClamped) {
  Policy policy = load_ok(R"({
    "extends": "gpu-coder",
    "gpu": {"count": 4},
    "tools": {"http_get": {"allow_hosts": ["docs.python.org", "evil.example", "*.python.org"],
                           "max_response_size": "1G", "timeout": "1h",
                           "allow_private_cidrs": ["10.0.0.0/8"]}},
    "limits": {"pids": 60000, "cpu_weight": 9000, "cpu_time": "2h", "file_size": "8G",
               "open_files": 65536, "tmp_size": "8G", "workspace_size": "32G", "shm_size": "8G"},
    "network": "host", "allow_host_network": true,
    "budget": {"max_turns": 5000, "max_tool_calls": 50000, "max_tokens": 99999999}
  })");
  Caps caps = caps_ok(R"({
    "gpus": 1, "limits": {"pids": 100, "cpu_weight": 100, "open_files": 1024},
    "http": {"hosts": ["docs.python.org"], "max_response_size": "8M", "timeout": "20s"}
  })");
  Compiled compiled = compile(policy, caps);
  const Policy& effective = compiled.effective;
  EXPECT_EQ(effective.scope.gpu.count, 1u);
  EXPECT_EQ(effective.scope.http_get.allow_hosts, std::vector<std::string>{"docs.python.org"});
  EXPECT_TRUE(effective.scope.http_get.allow_private_cidrs.empty());
  EXPECT_EQ(effective.scope.http_get.max_response_bytes, 8u << 20);
  EXPECT_EQ(effective.scope.http_get.timeout, milliseconds(20'000));
  EXPECT_EQ(effective.network, sandbox::NetworkMode::none);
  EXPECT_EQ(compiled.spec.network, sandbox::NetworkMode::none);
  EXPECT_EQ(effective.scope.budget.max_turns, 1000u);
  EXPECT_EQ(effective.scope.budget.max_tool_calls, 10'000u);
  EXPECT_EQ(effective.scope.budget.max_tokens, 10'000'000u);
  EXPECT_EQ(compiled.scope.gpu.count, 1u);  // the scope is the clamped one
  std::string notes;
  for (const std::string& note : compiled.notes) notes += note + "\n";
  for (const char* expected :
       {"clamped /gpu/count from 4 to 1", "clamped /limits/pids from 60000 to 100",
        "clamped /limits/cpu_weight from 9000 to 100", "clamped /limits/cpu_time from 2h to 1h",
        "clamped /limits/file_size from 8G to 4G", "clamped /limits/open_files from 65536 to 1024",
        "clamped /limits/tmp_size from 8G to 4G", "clamped /limits/workspace_size from 32G to 16G",
        "clamped /limits/shm_size from 8G to 4G",
        "dropped \"evil.example\" from /tools/http_get/allow_hosts",
        "dropped \"*.python.org\" from /tools/http_get/allow_hosts",
        "dropped \"10.0.0.0/8\" from /tools/http_get/allow_private_cidrs",
        "clamped /tools/http_get/max_response_size from 1G to 8M",
        "clamped /tools/http_get/timeout from 1h to 20s", "clamped /network from host to none",
        "clamped /budget/max_turns from 5000 to 1000",
        "clamped /budget/max_tool_calls from 50000 to 10000",
        "clamped /budget/max_tokens from 99999999 to 10000000"}) {
    EXPECT_NE(notes.find(expected), std::string::npos) << "missing: " << expected << "\n" << notes;
  }
}

TEST(Clamping, APolicyWithinTheCapsIsUnchanged) {
  Policy policy = builtin("researcher");
  Caps caps = caps_ok(R"({"http": {"hosts": ["*.python.org", "*.cppreference.com",
      "*.wikipedia.org", "pypi.org", "man7.org"], "allow_private_cidrs": true},
      "allow_host_network": true})");
  Compiled compiled = compile(policy, caps);
  EXPECT_TRUE(compiled.notes.empty());
  EXPECT_EQ(to_json(compiled.effective), to_json(policy));
}

}  // namespace
}  // namespace policies::testing
