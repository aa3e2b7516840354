// dag end to end: steps start when their dependencies finish and see their results through
// ${id}; invalid plans (cycle, unknown reference, a tool outside the allowed ones) go back to
// the planner; a failed step triggers a re-plan that keeps completed results and does not
// stop steps still running; re-plans are bounded. Plan checking is also tested on its own.
#include <gtest/gtest.h>

#include <set>

#include "agents/patterns/dag_plan.h"
#include "agents/runtime/tool_catalog.h"
#include "tests/agents/runtime_fixture.h"

namespace agents::testing {
namespace {

using nlohmann::json;

json step(const std::string& id, const std::string& tool, json input,
          const std::vector<std::string>& deps = {}) {
  json s = {{"id", id}, {"tool", tool}, {"input", std::move(input)}};
  if (!deps.empty()) s["depends_on"] = deps;
  return s;
}
json agent_step(const std::string& id, const std::string& prompt,
                const std::vector<std::string>& deps = {}) {
  return step(id, "agent", {{"prompt", prompt}}, deps);
}
json python_step(const std::string& id, const std::string& code) {
  return step(id, "run_code", {{"language", "python"}, {"code", code}});
}
json plan(std::vector<json> steps, const std::string& answer = "") {
  json p = {{"steps", std::move(steps)}};
  if (!answer.empty()) p["answer"] = answer;
  return {{"json", p}};
}

class DagTest : public TaskTest {
 protected:
  json spec(json options = json::object()) const {
    return {
        {"pattern", "dag"},
        {"prompt", "Compute and explain."},
        {"options", std::move(options)},
        {"roles", {{"planner", role("strong", "reviewer")}, {"worker", role("cheap", "coder")}}}};
  }
  std::vector<std::string> order_of(const std::string& type) const {
    std::vector<std::string> ids;
    for (const Event& e : events_.events)
      if (e.type == type) ids.push_back(e.data["step"]);
    return ids;
  }
};

TEST_F(DagTest, StepsRunWhenTheirDependenciesAreDoneAndSeeTheirResults) {
  load({{"roles",
         {{"planner",
           {{"default", plan({python_step("six", "print(6)"), python_step("seven", "print(7)"),
                              agent_step("product", "Multiply ${six} by ${seven}.")},
                             "product")}}},
          {"worker", {{"default", {{"text", "worker saw: {{last_user}}"}}}}}}}});
  TaskResult result = run(spec());
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  const std::string answer = result.answer;
  EXPECT_NE(answer.find("Multiply 6 by 7."), std::string::npos) << answer;
  auto started = order_of("step.started");
  ASSERT_EQ(started.size(), 3u);
  EXPECT_EQ(started[2], "product");  // only after both numbers
  EXPECT_EQ(result.details["replans"], 0);
}

TEST_F(DagTest, InvalidPlansGoBackToThePlanner) {
  json planner;
  planner["steps"] = json::array(
      {plan({agent_step("a", "uses ${b}"), agent_step("b", "uses ${a}")}),   // cycle
       plan({agent_step("a", "uses ${ghost}")}),                             // unknown reference
       plan({step("fetch", "http_get", {{"url", "http://example.com/"}})}),  // tool not allowed
       plan({agent_step("a", "fine")})});
  json roles;
  roles["planner"] = planner;
  roles["worker"]["default"]["text"] = "ok";
  load({{"roles", roles}});
  TaskResult result = run(spec({{"max_replans", 3}}));
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  auto invalid = events("plan.invalid");
  ASSERT_EQ(invalid.size(), 3u);
  EXPECT_NE(invalid[0].data["errors"][0].get<std::string>().find("cycle among: a, b"),
            std::string::npos);
  EXPECT_EQ(invalid[1].data["errors"][0], "step \"a\": refers to unknown step \"ghost\"");
  EXPECT_EQ(invalid[2].data["errors"][0].get<std::string>().rfind(
                "step 1: tool \"http_get\" is not allowed", 0),
            0u);
  // The planner was told why.
  const std::string last_prompt = requests_of("planner").back()["last_user"];
  EXPECT_NE(last_prompt.find("Your previous plan was invalid"), std::string::npos);
  EXPECT_EQ(result.answer, "ok");
}

TEST_F(DagTest, AFailedStepIsReplannedKeepingResultsAndRunningSteps) {
  json planner;
  planner["steps"] = json::array(
      {plan({python_step("base", "print(20)"), agent_step("slow", "take your time"),
             step("broken", "run_code", {{"language", "python"}, {"code", "raise SystemExit(3)"}},
                  {"base"})}),
       plan({python_step("fixed", "print(${base} + 1)"),
             agent_step("final", "combine ${fixed} and ${slow}", {"fixed", "slow"})},
            "final")});
  json slow = {{"contains", "take your time"}, {"text", "slow result"}, {"latency_ms", 1500}};
  json roles;
  roles["planner"] = planner;
  roles["worker"]["match"] = json::array({slow});
  roles["worker"]["default"]["text"] = "final: {{last_user}}";
  load({{"roles", roles}});
  TaskResult result = run(spec());
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.details["replans"], 1);
  const std::string answer = result.answer;
  EXPECT_NE(answer.find("combine 21 and slow result"), std::string::npos) << answer;
  // base ran once, slow ran once and was not interrupted by the re-plan.
  auto started = order_of("step.started");
  EXPECT_EQ(std::count(started.begin(), started.end(), "base"), 1);
  EXPECT_EQ(std::count(started.begin(), started.end(), "slow"), 1);
  size_t replanned_at = 0, slow_done_at = 0;
  for (size_t i = 0; i < events_.events.size(); ++i) {
    const Event& e = events_.events[i];
    if (e.type == "plan.replanned") replanned_at = i;
    if (e.type == "step.finished" && e.data["step"] == "slow") slow_done_at = i;
  }
  EXPECT_GT(slow_done_at, replanned_at);
  // The re-planner was shown the completed result and the failure.
  const std::string prompt = requests_of("planner")[1]["last_user"];
  EXPECT_NE(prompt.find("Step \"broken\" failed"), std::string::npos);
  EXPECT_NE(prompt.find("Completed step \"base\""), std::string::npos);
  EXPECT_NE(prompt.find("Step \"slow\" is still running"), std::string::npos);
}

TEST_F(DagTest, ReplansAreBounded) {
  load({{"roles",
         {{"planner", {{"default", plan({python_step("x", "raise SystemExit(1)")})}}},
          {"worker", {{"default", {{"text", "ok"}}}}}}}});
  TaskResult result = run(spec({{"max_replans", 2}}));
  EXPECT_EQ(result.status, TaskStatus::failed);
  EXPECT_EQ(result.error.rfind("re-plans exhausted (2): Step \"x\" failed", 0), 0u) << result.error;
  EXPECT_EQ(requests_of("planner").size(), 3u);
}

TEST_F(DagTest, TheAnswerStepIsReadStrictlyAgainstTheOutputSchema) {
  // Issue 12: without a reducer the answer step's text was parsed keeping the last of two
  // equal keys, so {"n": 1000, "n": 1} passed "maximum": 10 as 1.
  load({{"roles",
         {{"planner", {{"default", plan({agent_step("a", "count")}, "a")}}},
          {"worker", {{"default", {{"text", R"({"n": 1000, "n": 1})"}}}}}}}});
  json with_schema = spec();
  with_schema["output_schema"] = {{"type", "object"}, {"properties", {{"n", {{"maximum", 10}}}}}};
  TaskResult result = run(with_schema);
  EXPECT_EQ(result.status, TaskStatus::failed);
  EXPECT_EQ(result.error, "step \"a\" does not match the output schema: /: duplicate key \"n\"");
}

TEST(DagPlan, ChecksReferencesToolsIdsAndSize) {
  using patterns::check_dag_plan;
  patterns::DagPlanRules rules;
  rules.allowed_tools = {"agent", "run_code"};
  rules.kept_ids = {"done"};
  rules.max_steps = 3;
  auto errors = [&](const char* text) { return check_dag_plan(json::parse(text), rules).errors; };
  EXPECT_TRUE(
      errors(
          R"({"steps": [{"id": "a", "tool": "agent", "input": {"prompt": "use ${done}, cost $${x}"}}]})")
          .empty());
  EXPECT_EQ(errors(R"({"steps": [{"id": "done", "tool": "agent", "input": {"prompt": "x"}}]})"),
            std::vector<std::string>{
                "step \"done\": that step is already done or running; use a new id"});
  EXPECT_EQ(errors(R"({"steps": [{"id": "a b", "tool": "agent", "input": {"prompt": "x"}}]})")[0],
            "step 1: id \"a b\" must be 1-32 letters, digits, '_' or '-'");
  EXPECT_EQ(errors(R"({"steps": [{"id": "a", "tool": "run_code", "input": {"code": "x"}}]})"),
            std::vector<std::string>{"step 1: run_code needs input.language as a string"});
  EXPECT_EQ(errors(R"({"steps": [{"id": "a", "tool": "agent", "input": {"prompt": "${oops"}}]})"),
            std::vector<std::string>{
                "step 1: \"${\" without a closing \"}\" (write $${ for a literal ${)"});
  EXPECT_EQ(errors(R"({"steps": [{"id": "a", "tool": "agent", "input": {"prompt": "x"}},
                                 {"id": "a", "tool": "agent", "input": {"prompt": "y"}}]})"),
            std::vector<std::string>{"step \"a\": the id is used twice"});
  EXPECT_EQ(
      errors(
          R"({"steps": [{"id": "a", "tool": "agent", "input": {"prompt": "x"}, "depends_on": ["b"]},
                                 {"id": "b", "tool": "agent", "input": {"prompt": "y"}, "depends_on": ["c"]},
                                 {"id": "c", "tool": "agent", "input": {"prompt": "${a}"}},
                                 {"id": "d", "tool": "agent", "input": {"prompt": "z"}}]})"),
      (std::vector<std::string>{"the plan has 4 steps; at most 3 are allowed",
                                "the dependencies form a cycle among: a, b, c"}));
  EXPECT_EQ(
      errors(
          R"({"steps": [{"id": "a", "tool": "agent", "input": {"prompt": "x"}}], "answer": "zz"})"),
      std::vector<std::string>{"answer: \"zz\" is not a step"});
  auto plan = check_dag_plan(json::parse(R"({"steps": [{"id": "a", "tool": "agent",
      "input": {"prompt": "${done} ${done}"}, "depends_on": ["done"]}]})"),
                             rules)
                  .plan;
  EXPECT_EQ(plan.steps[0].depends_on, std::vector<std::string>{"done"});
}

TEST(DagPlan, SubstitutesReferencesAndEscapes) {
  const json input = {
      {"prompt", "a=${a}, literal $${a}, unknown ${zz}"}, {"n", 3}, {"list", {"${a}"}}};
  const json out = patterns::substitute_references(input, {{"a", "42"}});
  EXPECT_EQ(out["prompt"], "a=42, literal ${a}, unknown ${zz}");
  EXPECT_EQ(out["n"], 3);
  EXPECT_EQ(out["list"][0], "42");
}

TEST(DagPlan, PermittedToolsFollowTheWorkerPolicy) {
  policies::ToolScope scope;
  scope.run_code.allowed = true;
  scope.read_file.allowed = true;
  EXPECT_EQ(patterns::permitted_tools({}, scope),
            (std::vector<std::string>{"agent", "run_code", "read_file"}));
  EXPECT_EQ(patterns::permitted_tools({"run_code", "http_get"}, scope),
            std::vector<std::string>{"run_code"});
}

// kDagStepTools orders the policy tools for plans: one missing would be accepted in
// allowed_tools yet never permitted.
TEST(DagPlan, StepsMayNameEveryPolicyToolAndAgent) {
  const std::multiset<policies::Tool> ordered(std::begin(runtime::kDagStepTools),
                                              std::end(runtime::kDagStepTools));
  EXPECT_EQ(ordered, std::multiset<policies::Tool>(std::begin(policies::kTools),
                                                   std::end(policies::kTools)));
  policies::ToolScope scope;
  scope.run_code.allowed = true;
  scope.read_file.allowed = true;
  scope.write_file.allowed = true;
  scope.list_files.allowed = true;
  scope.http_get.allowed = true;
  EXPECT_EQ(patterns::permitted_tools({}, scope),
            (std::vector<std::string>{"agent", "run_code", "http_get", "read_file", "write_file",
                                      "list_files"}));
}

TEST(DagPlan, EachStepKindNeedsItsToolsRequiredArguments) {
  patterns::DagPlanRules rules;
  rules.allowed_tools = {"agent"};
  for (policies::Tool tool : policies::kTools)
    rules.allowed_tools.emplace_back(policies::to_string(tool));
  auto errors = [&](const std::string& tool) {
    return patterns::check_dag_plan({{"steps", json::array({step("s", tool, json::object())})}},
                                    rules)
        .errors;
  };
  EXPECT_EQ(errors("agent"),
            std::vector<std::string>{"step 1: agent needs input.prompt as a string"});
  EXPECT_EQ(errors("run_code"),
            (std::vector<std::string>{"step 1: run_code needs input.language as a string",
                                      "step 1: run_code needs input.code as a string"}));
  EXPECT_EQ(errors("http_get"),
            std::vector<std::string>{"step 1: http_get needs input.url as a string"});
  EXPECT_EQ(errors("read_file"),
            std::vector<std::string>{"step 1: read_file needs input.path as a string"});
  EXPECT_EQ(errors("write_file"),
            (std::vector<std::string>{"step 1: write_file needs input.path as a string",
                                      "step 1: write_file needs input.content as a string"}));
  EXPECT_TRUE(errors("list_files").empty());  // the whole workspace
}

}  // namespace
}  // namespace agents::testing
