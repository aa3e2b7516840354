// Every pattern's failure names its root cause: when the model endpoint fails, the task's
// error says what the endpoint answered (issue 11), not only which phase came to nothing;
// result.dropped keeps the details per agent.
#include <gtest/gtest.h>

#include "tests/agents/runtime_fixture.h"

namespace agents::testing {
namespace {

using nlohmann::json;

struct FailingPattern {
  const char* pattern;
  json roles;
  const char* summary;  // how the task's error starts, before the cause
};

class PatternErrorTest : public TaskTest, public ::testing::WithParamInterface<FailingPattern> {};

TEST_P(PatternErrorTest, TheTasksErrorNamesTheRootCause) {
  const FailingPattern& failing = GetParam();
  load({{"default", {{"fault", "503"}}}});  // every role's every request
  json spec = {{"pattern", failing.pattern},
               {"prompt", "Add two numbers."},
               {"roles", failing.roles},
               {"tests", json::array({{{"stdin", "1 2"}, {"expected_stdout", "3"}}})}};
  if (std::string(failing.pattern) != "best_of_n") spec.erase("tests");
  TaskResult result = run(spec);
  EXPECT_EQ(result.status, TaskStatus::failed);
  EXPECT_EQ(
      result.error.rfind(std::string(failing.summary) + ": no answer (failed: model cheap: ", 0),
      0u)
      << result.error;
  EXPECT_NE(result.error.find("HTTP 503"), std::string::npos) << result.error;
  EXPECT_FALSE(result.dropped.empty());
}

json fan_out_spec() {
  return {{"pattern", "fan_out"},
          {"prompt", "Add two numbers."},
          {"roles",
           {{"planner", {{"model", "cheap"}, {"policy", "reviewer"}}},
            {"worker", {{"model", "cheap"}, {"policy", "reviewer"}}},
            {"reducer", {{"model", "cheap"}, {"policy", "reviewer"}}}}}};
}

class DeadEndpointTest : public TaskTest {};

TEST_F(DeadEndpointTest, AFanOutTaskAsksADeadEndpointOnlyUntilItsBreakerOpens) {
  // Issue 11: 3 planners x 2 turns x every attempt reached the dead endpoint (18 with
  // max_retries 2). With the default breaker (5 failures) the sixth request never goes out.
  load({{"default", {{"fault", "503"}}}});
  TaskResult result = run(fan_out_spec());
  EXPECT_EQ(result.status, TaskStatus::failed);
  EXPECT_EQ(requests().size(), 5u);
  EXPECT_NE(result.error.find(" is failing (5 consecutive failures, last: HTTP 503"),
            std::string::npos)
      << result.error;
  // A second task meets the open breaker at once.
  TaskResult second = run(fan_out_spec());
  EXPECT_EQ(second.status, TaskStatus::failed);
  EXPECT_EQ(requests().size(), 5u);
}

TEST_F(DeadEndpointTest, TheTasksWallTimeEndsARequestThatIsStillRetrying) {
  load({{"default", {{"fault", "hang"}}}});  // each attempt hangs until its 20 s timeout
  json spec = fan_out_spec();
  spec["budgets"] = {{"wall_time_ms", 500}};
  const auto started = std::chrono::steady_clock::now();
  TaskResult result = run(spec);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(result.status, TaskStatus::budget_exhausted);
  EXPECT_EQ(result.ended_by, "wall_time");
}

INSTANTIATE_TEST_SUITE_P(
    EveryPattern, PatternErrorTest,
    ::testing::Values(FailingPattern{"fan_out",
                                     {{"planner", {{"model", "cheap"}, {"policy", "reviewer"}}},
                                      {"worker", {{"model", "cheap"}, {"policy", "reviewer"}}},
                                      {"reducer", {{"model", "cheap"}, {"policy", "reviewer"}}}},
                                     "the planner gave no valid plan"},
                      FailingPattern{"dag",
                                     {{"planner", {{"model", "cheap"}, {"policy", "reviewer"}}},
                                      {"worker", {{"model", "cheap"}, {"policy", "coder"}}}},
                                     "re-plans exhausted (3): the planner gave no plan"},
                      FailingPattern{"best_of_n",
                                     {{"coder", {{"model", "cheap"}, {"policy", "coder"}}}},
                                     "no candidate passed any test"},
                      FailingPattern{"vote",
                                     {{"voter", {{"model", "cheap"}, {"policy", "reviewer"}}}},
                                     "no valid votes"},
                      FailingPattern{"moa",
                                     {{"proposer", {{"model", "cheap"}, {"policy", "reviewer"}}},
                                      {"aggregator", {{"model", "cheap"}, {"policy", "reviewer"}}}},
                                     "no proposer gave a valid answer"}),
    [](const ::testing::TestParamInfo<FailingPattern>& info) {
      return std::string(info.param.pattern);
    });

}  // namespace
}  // namespace agents::testing
