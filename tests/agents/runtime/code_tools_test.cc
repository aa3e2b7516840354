// The coding tools through the Toolbox, as a model calls them: each is held to the policy's
// ToolScope (a refused path is refused, audited and evented, and nothing is written), search
// skips what the policy does not let it read, and git_diff without a repository says so.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "agents/runtime/agent.h"
#include "agents/runtime/task_context.h"
#include "tests/agents/runtime_fixture.h"

namespace agents::testing {
namespace {

using nlohmann::json;
using runtime::AgentOutcome;

json call(const std::string& name, json arguments) {
  return {{"name", name}, {"arguments", std::move(arguments)}};
}
json tool_step(std::vector<json> calls) {
  return {{"tool_calls", std::move(calls)}};
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every file path is allowed to write under src/; edit_file and apply_patch add nothing to
// that, and search reads src/open/ only.
constexpr const char* kNarrowPolicy = R"({
  "tools": {
    "read_file": {"paths": ["src/**"]},
    "write_file": {"paths": ["src/**"]},
    "edit_file": {"paths": ["src/**"]},
    "search": {"paths": ["src/open/**"]},
    "apply_patch": {"paths": ["**"]},
    "git_diff": {}
  },
  "workspace": "read-write"
})";

class CodeToolsTest : public TaskTest {
 protected:
  AgentOutcome run_worker(const std::string& policy, std::vector<json> steps) {
    load({{"roles", {{"worker", {{"steps", std::move(steps)}, {"default", {{"text", "done"}}}}}}}});
    json spec_json = {{"pattern", "fan_out"},
                      {"prompt", "test task"},
                      {"roles",
                       {{"planner", role("strong", "reviewer")},
                        {"worker", role("strong", policy)},
                        {"reducer", role("strong", "reviewer")}}}};
    auto parsed = parse_task_spec(spec_json);
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
    spec_ = std::move(*parsed);
    context_.emplace(env(), spec_, "task-1");
    runtime::AgentSpec agent;
    agent.role = "worker";
    agent.prompt = "do the work";
    std::optional<AgentOutcome> outcome;
    boost::asio::co_spawn(
        io_,
        [](runtime::TaskContext& task, runtime::AgentSpec spec,
           std::optional<AgentOutcome>& out) -> boost::asio::awaitable<void> {
          out = co_await runtime::run_agent(task, std::move(spec));
        }(*context_, std::move(agent), outcome),
        boost::asio::detached);
    EXPECT_TRUE(run_until(
        io_, [&] { return outcome.has_value(); }, std::chrono::seconds(60)));
    return outcome.value_or(AgentOutcome{});
  }

  // The contents of the tool messages the worker's n-th request carried, by tool call id.
  std::map<std::string, std::string> tool_results(size_t n) {
    std::map<std::string, std::string> out;
    auto logged = requests_of("worker");
    if (logged.size() <= n) {
      ADD_FAILURE() << "only " << logged.size() << " worker requests";
      return out;
    }
    for (const json& message : logged[n]["request"]["messages"])
      if (message["role"] == "tool")
        out[message["tool_call_id"].get<std::string>()] = message["content"].get<std::string>();
    return out;
  }

  TaskSpec spec_;
  std::optional<runtime::TaskContext> context_;
};

TEST_F(CodeToolsTest, EveryCodingToolIsHeldToTheScope) {
  add_policy("narrow", kNarrowPolicy);
  const std::string refused_patch =  // the second file is outside write_file's paths
      "--- a/src/open/a.txt\n+++ b/src/open/a.txt\n@@ -1 +1 @@\n-needle\n+changed\n"
      "--- /dev/null\n+++ b/setup.py\n@@ -0,0 +1 @@\n+import os\n";
  const std::string escaping_patch = "--- /dev/null\n+++ b/../escaped.txt\n@@ -0,0 +1 @@\n+x\n";
  json second =
      tool_step({call("edit_file", {{"path", "notes.txt"}, {"old_text", "a"}, {"new_text", "b"}}),
                 call("apply_patch", {{"patch", refused_patch}}),
                 call("apply_patch", {{"patch", escaping_patch}}),
                 call("search", {{"pattern", "need+le"}}), call("git_diff", json::object())});
  for (size_t i = 0; i < second["tool_calls"].size(); ++i)
    second["tool_calls"][i]["id"] = "c" + std::to_string(i);
  AgentOutcome outcome = run_worker(
      "narrow",
      {tool_step({call("write_file", {{"path", "src/open/a.txt"}, {"content", "needle\n"}}),
                  call("write_file", {{"path", "src/hidden.txt"}, {"content", "needle\n"}})}),
       second,
       tool_step({call("edit_file",
                       {{"path", "src/open/a.txt"}, {"old_text", "needle"}, {"new_text", "pin"}})}),
       {{"tool_calls", {{{"name", "final_answer"}, {"arguments", {{"answer", "ok"}}}}}}}});
  ASSERT_TRUE(outcome.answered()) << outcome.error;
  std::map<std::string, std::string> results = tool_results(2);
  EXPECT_EQ(results["c0"],
            "refused by policy \"narrow\": path \"notes.txt\" is not allowed by policy "
            "\"narrow\"; allowed: src/**");
  EXPECT_NE(results["c1"].find("refused by policy \"narrow\": path \"setup.py\" is not allowed"),
            std::string::npos)
      << results["c1"];
  EXPECT_NE(results["c1"].find("nothing was applied"), std::string::npos);
  EXPECT_NE(results["c2"].find("outside the workspace"), std::string::npos) << results["c2"];
  EXPECT_EQ(results["c3"],
            "src/open/a.txt:1: needle\n[1 matching lines in 1 files searched; 1 files skipped "
            "(the policy does not let search read them)]");
  EXPECT_EQ(results["c4"], "git_diff: this task has no repository");
  EXPECT_EQ(events("tool.refused", outcome.id).size(), 3u);

  const std::filesystem::path workspace = workspace_root_ / "task-1" / outcome.id;
  EXPECT_EQ(slurp(workspace / "src/open/a.txt"), "pin\n");  // the last, allowed edit only
  EXPECT_FALSE(std::filesystem::exists(workspace / "setup.py"));
  EXPECT_FALSE(std::filesystem::exists(workspace_root_ / "task-1" / "escaped.txt"));
}

TEST_F(CodeToolsTest, APolicyWithoutTheCodingToolsRefusesEach) {
  std::vector<json> calls = {
      call("edit_file", {{"path", "a"}, {"old_text", "a"}, {"new_text", "b"}}),
      call("search", {{"pattern", "a"}}), call("apply_patch", {{"patch", "x"}}),
      call("git_diff", json::object())};
  AgentOutcome outcome = run_worker(
      "reviewer",
      {tool_step(calls),
       {{"tool_calls", {{{"name", "final_answer"}, {"arguments", {{"answer", "ok"}}}}}}}});
  ASSERT_TRUE(outcome.answered()) << outcome.error;
  std::vector<std::string> refused;
  for (const Event& event : events("tool.refused", outcome.id))
    refused.push_back(event.data["tool"].get<std::string>() + ": " +
                      event.data["reason"].get<std::string>());
  std::sort(refused.begin(), refused.end());
  EXPECT_EQ(refused,
            (std::vector<std::string>{
                "apply_patch: apply_patch is not allowed by policy \"reviewer\"; use "
                "another tool",
                "edit_file: edit_file is not allowed by policy \"reviewer\"; use another "
                "tool",
                "git_diff: git_diff is not allowed by policy \"reviewer\"; use another "
                "tool",
                "search: search is not allowed by policy \"reviewer\"; use another tool"}));
}

}  // namespace
}  // namespace agents::testing
