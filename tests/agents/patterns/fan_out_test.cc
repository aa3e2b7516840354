// fan_out end to end against the scripted server: the plan is validated (an invalid one goes
// back to the planner), workers run in parallel and survive every transport fault the server
// injects, invalid results are dropped and reported, the reducer's answer must match the
// output schema; task budgets (tokens, cost, wall time) end the task and say which one did;
// cancellation reaches in-flight requests and sandboxes; the monitor summarises progress.
#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>

#include "tests/agents/runtime_fixture.h"

namespace agents::testing {
namespace {

using nlohmann::json;

class FanOutTest : public TaskTest {
 protected:
  json spec(const std::string& worker_policy = "coder") const {
    return {{"pattern", "fan_out"},
            {"prompt", "Describe three colours."},
            {"roles",
             {{"planner", role("strong", "reviewer")},
              {"worker", role("cheap", worker_policy)},
              {"reducer", role("strong", "reviewer")}}}};
  }
  static json plan(std::vector<std::string> subtasks) {
    return {{"json", {{"subtasks", std::move(subtasks)}}}};
  }
  std::vector<std::string> finished_with(const std::string& status) const {
    std::vector<std::string> agents;
    for (const Event& e : events_.events)
      if (e.type == "agent.finished" && e.data["status"] == status) agents.push_back(e.agent_id);
    return agents;
  }
};

TEST_F(FanOutTest, PlansRunsWorkersInParallelAndReduces) {
  load({{"roles",
         {{"planner",
           {{"steps",
             {{{"json", {{"subtasks", json::array()}}}},  // invalid: empty
              plan({"red", "green", "blue"})}}}},
          {"worker", {{"default", {{"text", "about {{last_user}}"}, {"latency_ms", 100}}}}},
          {"reducer", {{"default", {{"text", "three colours merged"}}}}}}}});
  TaskResult result = run(spec());
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.answer, "three colours merged");
  EXPECT_EQ(result.details["subtasks"], 3);
  EXPECT_EQ(result.details["valid_results"], 3);
  EXPECT_TRUE(result.dropped.empty());
  // The invalid plan went back to the same planner agent with the schema's complaint.
  auto planner_requests = requests_of("planner");
  ASSERT_EQ(planner_requests.size(), 2u);
  EXPECT_NE(planner_requests[1]["request"]["messages"].back()["content"].get<std::string>().find(
                "/subtasks: expected at least 1 items, got 0"),
            std::string::npos);
  // The workers' requests were in flight together.
  auto stats = server_->stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_GE((*stats)["requests_in_flight_peak"].get<int>(), 3);
  // The reducer saw every subtask's result.
  const std::string reducer_prompt = requests_of("reducer")[0]["last_user"];
  for (const char* colour : {"red", "green", "blue"})
    EXPECT_NE(reducer_prompt.find(colour), std::string::npos) << colour;
  EXPECT_EQ(events("task.finished").size(), 1u);
  EXPECT_EQ(result.usage.requests, 6u);  // 2 planner + 3 workers + 1 reducer
}

TEST_F(FanOutTest, WorkersSurviveEveryTransportFault) {
  // Each worker's first request meets a different fault (the latency lets every first request
  // arrive before any retry); the client retries the transport faults, the agent retries its
  // turn after an answer it cannot use.
  json faults = json::array();
  for (const char* fault : {"429", "500", "503", "hang", "drop", "400", "malformed", "no_choices"})
    faults.push_back({{"fault", fault}, {"retry_after", 0}, {"latency_ms", 100}});
  llm::ModelConfig cheap = model("cheap");
  cheap.timeout = std::chrono::milliseconds(500);  // the hung request times out
  // Five of the faults can arrive in a row and would open the breaker (llm_breaker_test.cc);
  // this test is about each fault being survived.
  cheap.breaker.failures = 0;
  llm_ = make_client({model("strong"), cheap}, quick_retries());
  load({{"roles",
         {{"planner", {{"default", plan({"a", "b", "c", "d", "e", "f", "g", "h"})}}},
          {"worker", {{"steps", faults}, {"default", {{"text", "fine"}}}}},
          {"reducer", {{"default", {{"text", "merged"}}}}}}}});
  TaskResult result = run(spec());
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.details["valid_results"], 8);
  EXPECT_GE(events("llm.retry").size(), 5u);  // 429, 500, 503, hang, drop: the client retries
  // 400, malformed, no_choices are not retried by the client: the agents retry their turn.
  EXPECT_EQ(events("agent.error").size(), 3u);
}

TEST_F(FanOutTest, InvalidWorkerResultsAreDroppedAndReported) {
  // One worker tries a tool its policy lacks; another calls a tool that does not exist. (The
  // latency lets every worker's first request arrive before anyone's second.)
  load({{"roles",
         {{"planner", {{"default", plan({"a", "b", "c"})}}},
          {"worker",
           {{"steps",
             {{{"tool_calls",
                {{{"name", "http_get"}, {"arguments", {{"url", "http://example.com/"}}}}}},
               {"latency_ms", 100}},
              {{"fault", "unknown_tool"},
               {"tool_calls", {{{"name", "run_code"}, {"arguments", json::object()}}}},
               {"latency_ms", 100}}}},
            {"default", {{"text", "fine"}}}}},
          {"reducer", {{"default", {{"text", "merged"}}}}}}}});
  TaskResult result = run(spec());
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.details["valid_results"], 1);
  ASSERT_EQ(result.dropped.size(), 2u);
  for (const DroppedResult& dropped : result.dropped)
    EXPECT_EQ(dropped.reason.rfind("audit: 1 tool call(s) outside the policy", 0), 0u)
        << dropped.reason;
  EXPECT_EQ(events("result.dropped").size(), 2u);
}

TEST_F(FanOutTest, TheReducersAnswerMustMatchTheOutputSchema) {
  load({{"roles",
         {{"planner", {{"default", plan({"a"})}}},
          {"worker", {{"default", {{"text", "fine"}}}}},
          {"reducer",
           {{"steps", {{{"text", "{\"colours\": \"three\"}"}}, {{"json", {{"colours", 3}}}}}}}}}}});
  json with_schema = spec();
  with_schema["output_schema"] = {{"type", "object"},
                                  {"properties", {{"colours", {{"type", "integer"}}}}},
                                  {"required", {"colours"}}};
  TaskResult result = run(with_schema);
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.answer, (json{{"colours", 3}}));
  EXPECT_EQ(requests_of("reducer").size(), 2u);
}

TEST_F(FanOutTest, AReducersAnswerWithDuplicateKeysIsSentBack) {
  // Issue 12: {"colours": 300, "colours": 3} passed "maximum": 10 as 3 (the last key).
  load({{"roles",
         {{"planner", {{"default", plan({"a"})}}},
          {"worker", {{"default", {{"text", "fine"}}}}},
          {"reducer",
           {{"steps",
             {{{"text", R"({"colours": 300, "colours": 3})"}}, {{"json", {{"colours", 4}}}}}}}}}}});
  json with_schema = spec();
  with_schema["output_schema"] = {
      {"type", "object"}, {"properties", {{"colours", {{"type", "integer"}, {"maximum", 10}}}}}};
  TaskResult result = run(with_schema);
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.answer, (json{{"colours", 4}}));
  EXPECT_EQ(requests_of("reducer").size(), 2u);
}

TEST_F(FanOutTest, TheTokenBudgetHoldsAcrossParallelWorkers) {
  // Each answer costs 1000 tokens; the budget allows 2500: the third answer crosses it and
  // the workers still running are cancelled.
  load({{"usage", {{"prompt_tokens", 500}, {"completion_tokens", 500}}},
        {"roles",
         {{"planner", {{"default", plan({"a", "b", "c", "d", "e"})}}},
          {"worker",
           {{"steps", {{{"text", "quick"}, {"repeat", 2}}}},
            {"default", {{"text", "slow"}, {"latency_ms", 30000}}}}},
          {"reducer", {{"default", {{"text", "merged"}}}}}}}});
  json budgeted = spec();
  budgeted["budgets"] = {{"tokens", 2500}};
  const auto started = std::chrono::steady_clock::now();
  TaskResult result = run(budgeted);
  EXPECT_EQ(result.status, TaskStatus::budget_exhausted);
  EXPECT_EQ(result.ended_by, "tokens");
  EXPECT_EQ(result.usage.total_tokens(), 3000u);  // planner + two workers, nothing after
  EXPECT_EQ(finished_with("cancelled").size() + finished_with("budget_exhausted").size(), 3u);
  EXPECT_TRUE(requests_of("reducer").empty());
  std::printf(
      "token budget: ended %.0f ms after the start (the slow workers' answers were 30 s "
      "away)\n",
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
          .count());
}

TEST_F(FanOutTest, TheCostBudgetHolds) {
  llm::ModelConfig strong = model("strong");
  strong.usd_per_million_input = 1000;  // 0.001 USD per prompt token
  llm_ = make_client({strong, model("cheap")}, quick_retries());
  load({{"usage", {{"prompt_tokens", 600}, {"completion_tokens", 1}}},
        {"roles",
         {{"planner", {{"default", plan({"a"})}}},
          {"worker", {{"default", {{"text", "fine"}}}}},
          {"reducer", {{"default", {{"text", "merged"}}}}}}}});
  json budgeted = spec();
  budgeted["budgets"] = {{"cost_usd", 1.0}};  // the planner costs 0.6, the reducer 0.6 more
  TaskResult result = run(budgeted);
  EXPECT_EQ(result.status, TaskStatus::budget_exhausted);
  EXPECT_EQ(result.ended_by, "cost");
  EXPECT_NEAR(result.usage.cost_usd, 1.2, 1e-9);
  EXPECT_EQ(result.answer, "merged");  // the reducer's answer crossed the budget, and is kept
}

TEST_F(FanOutTest, WallTimeEndsTheTask) {
  load({{"roles",
         {{"planner", {{"default", plan({"a", "b"})}}},
          {"worker", {{"default", {{"text", "late"}, {"latency_ms", 30000}}}}},
          {"reducer", {{"default", {{"text", "merged"}}}}}}}});
  json budgeted = spec();
  budgeted["budgets"] = {{"wall_time_ms", 300}};
  TaskResult result = run(budgeted);
  EXPECT_EQ(result.status, TaskStatus::budget_exhausted);
  EXPECT_EQ(result.ended_by, "wall_time");
  EXPECT_EQ(finished_with("budget_exhausted").size(), 2u);
}

TEST_F(FanOutTest, CancellationReachesRequestsAndSandboxes) {
  // One worker runs a program that would take 30 s; the other's request hangs.
  load({{"roles",
         {{"planner", {{"default", plan({"a", "b"})}}},
          {"worker",
           {{"steps",
             {{{"tool_calls",
                {{{"name", "run_code"},
                  {"arguments", {{"language", "bash"}, {"code", "sleep 30"}}}}}}},
              {{"fault", "hang"}}}}}},
          {"reducer", {{"default", {{"text", "merged"}}}}}}}});
  auto control = std::make_shared<TaskControl>();
  std::optional<TaskResult> result;
  std::chrono::steady_clock::time_point cancelled_at;
  boost::asio::steady_timer delay(io_);
  bool armed = false;
  events_.hook = [&](const Event& event) {
    // Both are under way once the sandbox starts and the hung request is out.
    if (event.type == "tool.call" && !armed) {
      armed = true;
      delay.expires_after(std::chrono::milliseconds(300));
      delay.async_wait([&](boost::system::error_code) {
        cancelled_at = std::chrono::steady_clock::now();
        control->cancel();
      });
    }
  };
  start(spec(), result, control);
  ASSERT_TRUE(run_until(
      io_, [&] { return result.has_value(); }, std::chrono::seconds(60)));
  const auto ended = std::chrono::steady_clock::now();
  events_.hook = nullptr;
  EXPECT_EQ(result->status, TaskStatus::cancelled);
  auto sandboxes = events("sandbox.result");
  ASSERT_EQ(sandboxes.size(), 1u);
  EXPECT_EQ(sandboxes[0].data["status"], "signaled");  // killed, not finished
  EXPECT_LT(sandboxes[0].data["wall_ms"].get<int64_t>(), 30000);
  EXPECT_EQ(finished_with("cancelled").size(), 2u);
  // The hung request's connection was closed by the client.
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        for (const json& r : requests_of("worker"))
          if (r.value("client_closed", false)) return true;
        return false;
      },
      std::chrono::seconds(10)));
  std::printf("cancellation: task ended %.1f ms after cancel()\n",
              std::chrono::duration<double, std::milli>(ended - cancelled_at).count());
}

TEST_F(FanOutTest, TheCallersCancellationSlotCancelsTheTaskToo) {
  load({{"roles", {{"planner", {{"default", {{"fault", "hang"}}}}}}}});
  boost::asio::cancellation_signal signal;
  std::optional<TaskResult> result;
  start(spec(), result, nullptr, signal.slot());
  ASSERT_TRUE(run_until(io_, [&] { return !requests_of("planner").empty(); }));
  signal.emit(boost::asio::cancellation_type::terminal);
  ASSERT_TRUE(run_until(io_, [&] { return result.has_value(); }));
  EXPECT_EQ(result->status, TaskStatus::cancelled);
}

TEST_F(FanOutTest, TheMonitorSummarisesWithoutBlockingWorkers) {
  load({{"roles",
         {{"planner", {{"default", plan({"a", "b"})}}},
          {"worker", {{"default", {{"text", "fine"}, {"latency_ms", 700}}}}},
          {"reducer", {{"default", {{"text", "merged"}}}}},
          {"monitor", {{"default", {{"text", "Two workers are busy."}}}}}}}});
  json monitored = spec();
  monitored["roles"]["monitor"] = role("cheap", "reviewer");
  monitored["monitor"] = {{"interval_ms", 200}};
  TaskResult result = run(monitored);
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  auto summaries = events("monitor.summary");
  ASSERT_GE(summaries.size(), 1u);
  EXPECT_EQ(summaries[0].data["summary"], "Two workers are busy.");
  const std::string seen = requests_of("monitor")[0]["last_user"];
  EXPECT_NE(seen.find("worker-1 agent.started"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("monitor"), std::string::npos);  // never its own events
}

TEST_F(FanOutTest, BroadcastFeedbackReachesEveryRunningAgent) {
  // Workers list their files until the feedback reaches them, then answer.
  json list_files = {{"tool_calls", {{{"name", "list_files"}, {"arguments", {{"path", "."}}}}}}};
  load(
      {{"roles",
        {{"planner", {{"default", plan({"a", "b"})}}},
         {"worker",
          {{"match", {{{"contains", "cite sources"}, {"text", "fine"}}}}, {"default", list_files}}},
         {"reducer", {{"default", {{"text", "merged"}}}}}}}});
  auto control = std::make_shared<TaskControl>();
  EXPECT_FALSE(control->feedback("worker-1", "too early"));
  bool sent = false;
  events_.hook = [&](const Event& event) {
    if (event.type == "tool.call" && !sent) sent = control->feedback("*", "cite sources");
  };
  TaskResult result = run(spec(), control);
  events_.hook = nullptr;
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  ASSERT_TRUE(sent);
  EXPECT_EQ(events("feedback.delivered", "worker-1").size(), 1u);
  EXPECT_EQ(events("feedback.delivered", "worker-2").size(), 1u);
  EXPECT_EQ(events("feedback.received").size(), 1u);
  EXPECT_EQ(result.details["valid_results"], 2);
}

}  // namespace
}  // namespace agents::testing
