// One agent's tool loop against the scripted LLM server, with real sandboxes: run_code in a
// workspace that persists across calls, parallel tool calls, refusals that never reach a
// sandbox, invalid arguments and unknown tools, malformed responses, truncation, the agent's
// own budgets, answer schemas and human feedback.
#include "agents/runtime/agent.h"

#include <gtest/gtest.h>

#include "agents/runtime/task_context.h"
#include "agents/runtime/tool_catalog.h"
#include "agents/runtime/validation.h"
#include "tests/agents/runtime_fixture.h"

namespace agents::testing {
namespace {

using nlohmann::json;
using runtime::AgentOutcome;
using runtime::AgentSpec;

json run_code_call(const std::string& code, const std::string& language = "python") {
  return {{"name", "run_code"}, {"arguments", {{"language", language}, {"code", code}}}};
}
json final_answer_call(json answer) {
  return {{"name", "final_answer"}, {"arguments", {{"answer", std::move(answer)}}}};
}
json tool_step(std::vector<json> calls) {
  return {{"tool_calls", std::move(calls)}};
}

class AgentTest : public TaskTest {
 protected:
  // Loads a script for the worker role alone.
  void script(std::vector<json> steps, const json& extra = json::object()) {
    json worker = {{"steps", std::move(steps)}, {"default", {{"text", "default answer"}}}};
    json full = {{"roles", {{"worker", worker}}}};
    full.update(extra);
    load(full);
  }

  // Runs one worker agent under `policy` inside a task context of its own.
  AgentOutcome run_worker(const std::string& policy, AgentSpec agent = {}) {
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
    if (agent.role.empty()) agent.role = "worker";
    if (agent.prompt.empty()) agent.prompt = "do the work";
    std::optional<AgentOutcome> outcome;
    boost::asio::co_spawn(
        io_,
        [](runtime::TaskContext& task, AgentSpec spec,
           std::optional<AgentOutcome>& out) -> boost::asio::awaitable<void> {
          out = co_await runtime::run_agent(task, std::move(spec));
        }(*context_, std::move(agent), outcome),
        boost::asio::detached);
    EXPECT_TRUE(run_until(
        io_, [&] { return outcome.has_value(); }, std::chrono::seconds(60)));
    return outcome.value_or(AgentOutcome{});
  }

  // The messages of the worker's n-th request (0-based), as the server received them.
  json messages_of_request(size_t n) {
    auto logged = requests_of("worker");
    if (logged.size() <= n) {
      ADD_FAILURE() << "only " << logged.size() << " worker requests";
      return json::array();
    }
    return logged[n]["request"]["messages"];
  }
  static std::string last_tool_content(const json& messages) {
    for (auto it = messages.rbegin(); it != messages.rend(); ++it)
      if ((*it)["role"] == "tool") return (*it)["content"].get<std::string>();
    return "";
  }

  TaskSpec spec_;
  std::optional<runtime::TaskContext> context_;
};

TEST_F(AgentTest, RunsCodeInAWorkspaceThatPersistsAcrossCalls) {
  script({tool_step({run_code_call("open('notes.txt', 'w').write('kept between runs')")}),
          tool_step({run_code_call("print(open('notes.txt').read())")}),
          tool_step({final_answer_call("done")})});
  AgentOutcome outcome = run_worker("coder");
  ASSERT_TRUE(outcome.answered()) << outcome.error;
  EXPECT_EQ(outcome.answer, "done");
  EXPECT_EQ(outcome.turns, 3u);
  EXPECT_EQ(outcome.tool_calls, 2u);
  auto results = events("sandbox.result", outcome.id);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].data["status"], "ok");
  const json tool_result = json::parse(last_tool_content(messages_of_request(2)));
  EXPECT_EQ(tool_result["stdout"], "kept between runs\n");
  EXPECT_TRUE(std::filesystem::exists(workspace_root_ / "task-1" / outcome.id / "notes.txt"));
  EXPECT_FALSE(runtime::invalid_reason(outcome, std::nullopt).has_value());
}

TEST_F(AgentTest, CompilesCAndCppInsideTheSandbox) {
  script({tool_step({run_code_call("#include <stdio.h>\nint main(){puts(\"from C\");}", "c"),
                     run_code_call("#include <iostream>\nint main(){std::cout << \"from C++\\n\";}",
                                   "cpp")}),
          tool_step({final_answer_call("compiled")})});
  AgentOutcome outcome = run_worker("coder");
  ASSERT_TRUE(outcome.answered()) << outcome.error;
  const json messages = messages_of_request(1);
  std::vector<std::string> outputs;
  for (const json& m : messages)
    if (m["role"] == "tool")
      outputs.push_back(json::parse(m["content"].get<std::string>())["stdout"]);
  EXPECT_EQ(outputs, (std::vector<std::string>{"from C\n", "from C++\n"}));
}

TEST_F(AgentTest, IndependentCallsOfOneTurnRunInParallel) {
  // Each program waits for the other's file: only concurrent runs both see it.
  const std::string wait_for =
      "import os, time\nopen('%s', 'w').close()\n"
      "for _ in range(100):\n"
      "    if os.path.exists('%s'): print('saw'); break\n"
      "    time.sleep(0.05)\n"
      "else: print('alone')\n";
  auto program = [&](const char* mine, const char* other) {
    std::string code = wait_for;
    code.replace(code.find("%s"), 2, mine);
    code.replace(code.find("%s"), 2, other);
    return code;
  };
  script({tool_step({run_code_call(program("a", "b")), run_code_call(program("b", "a"))}),
          tool_step({final_answer_call("both ran")})});
  AgentOutcome outcome = run_worker("coder");
  ASSERT_TRUE(outcome.answered()) << outcome.error;
  const json messages = messages_of_request(1);
  int saw = 0;
  for (const json& m : messages)
    if (m["role"] == "tool")
      saw += json::parse(m["content"].get<std::string>())["stdout"] == "saw\n";
  EXPECT_EQ(saw, 2);
}

TEST_F(AgentTest, ManyCallsOfOneTurnAllRunAndAnswerInOrder) {
  std::vector<json> calls;
  calls.reserve(11);
  for (int i = 0; i < 11; ++i) calls.push_back(run_code_call("print(" + std::to_string(i) + ")"));
  script({tool_step(calls), tool_step({final_answer_call("counted")})});
  AgentOutcome outcome = run_worker("coder");
  ASSERT_TRUE(outcome.answered()) << outcome.error;
  std::vector<std::string> outputs;
  for (const json& m : messages_of_request(1))
    if (m["role"] == "tool")
      outputs.push_back(json::parse(m["content"].get<std::string>())["stdout"]);
  ASSERT_EQ(outputs.size(), 11u);
  for (int i = 0; i < 11; ++i) EXPECT_EQ(outputs[i], std::to_string(i) + "\n");
}

TEST_F(AgentTest, RefusedCallsNeverReachTheSandboxAndAreAudited) {
  // researcher: no run_code; write_file only under notes/.
  script({tool_step({run_code_call("print('should not run')"),
                     {{"name", "write_file"},
                      {"arguments", {{"path", "../escape.txt"}, {"content", "x"}}}},
                     {{"name", "write_file"},
                      {"arguments", {{"path", "notes/ok.md"}, {"content", "fine"}}}}}),
          tool_step({final_answer_call("tried")})});
  AgentOutcome outcome = run_worker("researcher");
  ASSERT_TRUE(outcome.answered()) << outcome.error;
  EXPECT_TRUE(events("sandbox.result").empty());
  auto refusals = events("tool.refused", outcome.id);
  ASSERT_EQ(refusals.size(), 2u);
  EXPECT_EQ(refusals[0].data["tool"], "run_code");
  EXPECT_EQ(refusals[1].data["tool"], "write_file");
  const json messages = messages_of_request(1);
  std::vector<std::string> tool_messages;
  for (const json& m : messages)
    if (m["role"] == "tool") tool_messages.push_back(m["content"]);
  ASSERT_EQ(tool_messages.size(), 3u);
  EXPECT_EQ(tool_messages[0].rfind("refused by policy \"researcher\": ", 0), 0u)
      << tool_messages[0];
  EXPECT_EQ(tool_messages[1].rfind("refused by policy \"researcher\": ", 0), 0u)
      << tool_messages[1];
  EXPECT_EQ(tool_messages[2], "wrote 4 bytes to \"notes/ok.md\"");
  EXPECT_FALSE(std::filesystem::exists(workspace_root_ / "task-1" / "escape.txt"));
  EXPECT_EQ(outcome.tool_calls, 3u);  // a refused call counts against max_tool_calls
  // The answer does not count: the audit found calls outside the policy.
  auto why = runtime::invalid_reason(outcome, std::nullopt);
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->rfind("audit: 2 tool call(s) outside the policy (run_code: ", 0), 0u) << *why;
}

TEST_F(AgentTest, InvalidArgumentsAndUnknownToolsGoBackToTheModel) {
  script({{{"fault", "invalid_tool_args"}, {"tool_calls", {run_code_call("print(1)")}}},
          {{"fault", "unknown_tool"}, {"tool_calls", {run_code_call("print(2)")}}},
          tool_step({final_answer_call("recovered")})});
  AgentOutcome outcome = run_worker("coder");
  ASSERT_TRUE(outcome.answered()) << outcome.error;
  EXPECT_EQ(outcome.answer, "recovered");
  EXPECT_EQ(
      last_tool_content(messages_of_request(1)).rfind("the arguments are not a JSON object", 0),
      0u);
  EXPECT_NE(last_tool_content(messages_of_request(2)).find("unknown tool \"no_such_tool\""),
            std::string::npos);
  EXPECT_EQ(events("tool.invalid", outcome.id).size(), 1u);
  EXPECT_EQ(events("tool.refused", outcome.id).size(), 1u);
  EXPECT_TRUE(events("sandbox.result").empty());
}

TEST_F(AgentTest, WrongTypedArgumentsAreInvalidNotRefusedAndCostNoToolCall) {
  // Issue 11: {"language": 7} was refused by policy, so the later answer was dropped.
  add_policy("one-call", R"({"extends": "coder", "budget": {"max_tool_calls": 1}})");
  auto call = [](const char* tool, json arguments) {
    return json{{"name", tool}, {"arguments", std::move(arguments)}};
  };
  script({tool_step({call("run_code", {{"language", 7}, {"code", "print(1)"}}),
                     call("run_code", {{"language", "python"}}),
                     call("run_code", {{"language", "python"}, {"code", "1"}, {"stdin", 5}}),
                     call("write_file", {{"path", "a.txt"}}),
                     call("read_file", {{"path", json::array({"a"})}}),
                     call("list_files", {{"path", nullptr}})}),
          tool_step({run_code_call("print(6 * 7)")}), tool_step({final_answer_call("42")})});
  AgentOutcome outcome = run_worker("one-call");
  ASSERT_TRUE(outcome.answered()) << outcome.error;
  EXPECT_EQ(outcome.tool_calls, 1u);  // only the call that ran
  EXPECT_EQ(events("tool.invalid", outcome.id).size(), 6u);
  EXPECT_TRUE(events("tool.refused", outcome.id).empty());
  EXPECT_EQ(events("sandbox.result", outcome.id).size(), 1u);
  std::vector<std::string> told;
  for (const json& m : messages_of_request(1))
    if (m["role"] == "tool") told.push_back(m["content"]);
  ASSERT_EQ(told.size(), 6u);
  EXPECT_EQ(told[0],
            "invalid arguments for run_code: \"language\" must be a string, not a number (7). "
            "run_code takes {\"language\": string, \"code\": string, \"stdin\"?: string, "
            "\"shared\"?: string} (? marks an optional argument); call it again with corrected "
            "arguments.");
  EXPECT_NE(told[1].find("\"code\" is missing"), std::string::npos) << told[1];
  EXPECT_NE(told[3].find("\"content\" is missing"), std::string::npos) << told[3];
  EXPECT_NE(told[4].find("\"path\" must be a string, not an array"), std::string::npos);
  // Not a policy breach: the answer stands.
  EXPECT_EQ(runtime::invalid_reason(outcome, std::nullopt), std::nullopt);
}

TEST(ToolArguments, EveryToolsArgumentsAreCheckedForTypeNotValue) {
  using runtime::argument_error;
  EXPECT_EQ(argument_error("http_get", {{"url", "ftp://anything"}}), std::nullopt);
  EXPECT_NE(argument_error("http_get", {{"url", 1}}), std::nullopt);
  EXPECT_NE(argument_error("http_get", json::object()), std::nullopt);
  EXPECT_EQ(argument_error("list_files", json::object()), std::nullopt);  // the whole workspace
  EXPECT_EQ(argument_error("run_code", {{"language", "cobol"}, {"code", ""}}), std::nullopt);
  EXPECT_NE(argument_error("run_code", {{"language", "python"}, {"code", ""}, {"shared", 1}}),
            std::nullopt);
  EXPECT_EQ(argument_error("final_answer", {{"answer", 7}}), std::nullopt);
}

policies::ToolScope scope_allowing_every_tool() {
  policies::ToolScope scope;
  scope.run_code.allowed = true;
  scope.read_file.allowed = true;
  scope.write_file.allowed = true;
  scope.list_files.allowed = true;
  scope.http_get.allowed = true;
  scope.edit_file.allowed = true;
  scope.search.allowed = true;
  scope.apply_patch.allowed = true;
  scope.git_diff.allowed = true;
  return scope;
}

// A tool added to policies::Tool must come with a definition for the model and argument
// checks, or agents are granted a tool they are never offered.
TEST(ToolCatalog, EveryPolicyToolIsOfferedAndHasItsArgumentsChecked) {
  std::vector<std::string> offered;
  for (const llm::ToolDefinition& tool : runtime::tool_catalog(scope_allowing_every_tool(), {}))
    offered.push_back(tool.name);
  std::vector<std::string> expected;
  for (policies::Tool tool : policies::kTools) expected.emplace_back(policies::to_string(tool));
  expected.emplace_back("final_answer");
  EXPECT_EQ(offered, expected);

  // Every tool takes at least one argument, and each is a string.
  const json all_numbers = {{"language", 1}, {"code", 1}, {"path", 1},
                            {"content", 1},  {"url", 1},  {"stdin", 1}};
  for (policies::Tool tool : policies::kTools) {
    const std::string name(policies::to_string(tool));
    auto error = runtime::argument_error(tool, all_numbers);
    ASSERT_NE(error, std::nullopt) << name;
    EXPECT_EQ(error->rfind("invalid arguments for " + name + ": ", 0), 0u) << *error;
    EXPECT_EQ(runtime::argument_error(name, all_numbers), error);
    EXPECT_TRUE(runtime::is_known_tool(name));
  }
  EXPECT_TRUE(runtime::is_known_tool("final_answer"));
  EXPECT_FALSE(runtime::is_known_tool("agent"));  // a dag step kind, not a tool
  EXPECT_EQ(runtime::argument_error("agent", all_numbers), std::nullopt);
}

TEST(ToolCatalog, WithoutAWorkspaceOnlyTheFileToolsAreLeftOut) {
  runtime::CatalogOptions options;
  options.has_workspace = false;
  std::vector<std::string> offered;
  for (const llm::ToolDefinition& tool :
       runtime::tool_catalog(scope_allowing_every_tool(), options))
    offered.push_back(tool.name);
  EXPECT_EQ(offered, (std::vector<std::string>{"run_code", "http_get", "final_answer"}));
  options.tools_enabled = false;
  EXPECT_EQ(runtime::tool_catalog(scope_allowing_every_tool(), options).size(), 1u);
}

TEST_F(AgentTest, AMalformedResponseCostsATurnAndTwoInARowEndTheAgent) {
  script({{{"fault", "malformed"}}, {{"fault", "no_choices"}}, {{"text", "never reached"}}});
  AgentOutcome failed = run_worker("coder");
  EXPECT_EQ(failed.status, AgentOutcome::Status::failed);
  EXPECT_NE(failed.error.find("no choices"), std::string::npos) << failed.error;
  EXPECT_EQ(events("agent.error", failed.id).size(), 2u);

  script({{{"fault", "malformed"}}, {{"text", "second try"}}});
  AgentOutcome recovered = run_worker("coder");
  ASSERT_TRUE(recovered.answered()) << recovered.error;
  EXPECT_EQ(recovered.answer, "second try");
  EXPECT_EQ(recovered.turns, 2u);
}

TEST_F(AgentTest, LongToolResultsAreCutAndSaySo) {
  options_.max_tool_result_chars = 2000;
  script({tool_step({run_code_call("print('x' * 50000)")}), tool_step({final_answer_call("ok")})});
  AgentOutcome outcome = run_worker("coder");
  ASSERT_TRUE(outcome.answered()) << outcome.error;
  const std::string content = last_tool_content(messages_of_request(1));
  EXPECT_LE(content.size(), 2000u);
  EXPECT_NE(content.find("bytes cut from a 50001-byte stdout"), std::string::npos) << content;
}

TEST_F(AgentTest, TheAgentsOwnBudgetsEndIt) {
  add_policy("tight", R"({"extends": "coder", "budget": {"max_turns": 2, "max_tool_calls": 50}})");
  script({tool_step({run_code_call("print(1)")}), tool_step({run_code_call("print(2)")}),
          tool_step({run_code_call("print(3)")})});
  AgentOutcome turns = run_worker("tight");
  EXPECT_EQ(turns.status, AgentOutcome::Status::budget_exhausted);
  EXPECT_EQ(turns.error, "max_turns (2) reached");
  EXPECT_EQ(requests_of("worker").size(), 2u);

  events_.events.clear();
  add_policy("few-calls", R"({"extends": "coder", "budget": {"max_tool_calls": 2}})");
  script({tool_step(
      {run_code_call("print(1)"), run_code_call("print(2)"), run_code_call("print(3)")})});
  AgentOutcome calls = run_worker("few-calls");
  EXPECT_EQ(calls.status, AgentOutcome::Status::budget_exhausted);
  EXPECT_EQ(calls.error, "max_tool_calls (2) reached");
  EXPECT_EQ(events("sandbox.result", calls.id).size(), 2u);
}

TEST_F(AgentTest, AnAnswerOutsideTheSchemaIsSentBack) {
  script({tool_step({final_answer_call("not json")}),
          tool_step({final_answer_call({{"score", "high"}})}),
          tool_step({final_answer_call({{"score", 7}})})});
  AgentSpec agent;
  agent.answer_schema = json{{"type", "object"},
                             {"properties", {{"score", {{"type", "integer"}}}}},
                             {"required", {"score"}}};
  AgentOutcome outcome = run_worker("coder", agent);
  ASSERT_TRUE(outcome.answered()) << outcome.error;
  EXPECT_EQ(outcome.answer, (json{{"score", 7}}));
  EXPECT_EQ(last_tool_content(messages_of_request(1)),
            "final answer rejected: the answer must be JSON matching the schema; it is not JSON\n"
            "Call final_answer again with a corrected answer.");
  EXPECT_NE(
      last_tool_content(messages_of_request(2)).find("/score: expected type integer, got \"high\""),
      std::string::npos);
  EXPECT_EQ(events("answer.rejected", outcome.id).size(), 2u);
}

TEST_F(AgentTest, AnswersThatReadTwoWaysAreSentBack) {
  // Issue 12: the last of two equal keys was kept, so {"score": 1000, "score": 1} passed
  // "maximum": 100 as 1 while a reader taking the first key sees 1000; 18446744073709551617
  // passed "type": "integer" as the double 18446744073709551616; 2^53 + 1 passed
  // "maximum": 2^53 as a double equal to it.
  auto raw_final_answer = [](const std::string& arguments) {
    return json{{"tool_calls", {{{"name", "final_answer"}, {"arguments", arguments}}}}};
  };
  script({tool_step({final_answer_call(R"({"score": 1000, "score": 1})")}),
          raw_final_answer(R"({"answer": {"score": 1000, "score": 1}})"),
          raw_final_answer(R"({"answer": {"score": 1}, "answer": {"score": 2}})"),
          tool_step({final_answer_call(R"({"score": 1, "id": 18446744073709551617})")}),
          tool_step({final_answer_call(R"({"score": 1, "id": 9007199254740993})")}),
          tool_step({final_answer_call({{"score", 7}})})});
  AgentSpec agent;
  agent.answer_schema = json::parse(R"({"type": "object", "required": ["score"], "properties": {
                        "score": {"type": "integer", "maximum": 100},
                        "id": {"type": "integer", "maximum": 9007199254740992}}})");
  AgentOutcome outcome = run_worker("coder", agent);
  ASSERT_TRUE(outcome.answered()) << outcome.error;
  EXPECT_EQ(outcome.answer, (json{{"score", 7}}));
  EXPECT_EQ(last_tool_content(messages_of_request(1)),
            "final answer rejected: the answer is refused: /: duplicate key \"score\"\n"
            "Call final_answer again with a corrected answer.");
  EXPECT_EQ(last_tool_content(messages_of_request(2)),
            "the arguments are refused: /answer: duplicate key \"score\"");
  EXPECT_EQ(last_tool_content(messages_of_request(3)),
            "the arguments are refused: /: duplicate key \"answer\"");
  EXPECT_NE(last_tool_content(messages_of_request(4))
                .find("/id: the integer 18446744073709551617 is too large to be held exactly"),
            std::string::npos)
      << last_tool_content(messages_of_request(4));
  EXPECT_NE(last_tool_content(messages_of_request(5))
                .find("/id: expected at most 9007199254740992, got 9007199254740993"),
            std::string::npos)
      << last_tool_content(messages_of_request(5));
  EXPECT_EQ(events("answer.rejected", outcome.id).size(), 3u);
  EXPECT_EQ(events("tool.invalid", outcome.id).size(), 2u);
}

TEST_F(AgentTest, DeeplyNestedAnswersAreSentBack) {
  // Issue 12: a final answer nested 100000 deep was taken, and writing it out (an event, the
  // journal, the next prompt) recursed once per level and overflowed the stack.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  script(
      {{{"tool_calls", {{{"name", "final_answer"}, {"arguments", "{\"answer\": " + deep + "}"}}}}},
       tool_step({final_answer_call("recovered")})});
  AgentOutcome outcome = run_worker("coder");
  ASSERT_TRUE(outcome.answered()) << outcome.error;
  EXPECT_TRUE(outcome.answer == "recovered");  // not EXPECT_EQ: printing a deep value recurses
  const std::string refusal = last_tool_content(messages_of_request(1));
  EXPECT_EQ(refusal.rfind("the arguments are refused: /answer/0/0/0/", 0), 0u) << refusal;
  EXPECT_NE(refusal.find(": nested deeper than 64 levels"), std::string::npos) << refusal;
}

TEST_F(AgentTest, FeedbackReachesTheAgentAtItsNextTurn) {
  script({tool_step({run_code_call("print('working')")}), tool_step({final_answer_call("done")})});
  // Once the first request is out, a person sends feedback to this agent.
  bool sent = false;
  events_.hook = [&](const Event& event) {
    if (event.type == "llm.request" && !sent && context_) {
      sent = context_->feedback().post(event.agent_id, "use metric units");
    }
  };
  AgentOutcome outcome = run_worker("coder");
  events_.hook = nullptr;
  ASSERT_TRUE(sent);
  ASSERT_TRUE(outcome.answered()) << outcome.error;
  const json first = messages_of_request(0);
  const json second = messages_of_request(1);
  EXPECT_EQ(first.back()["role"], "user");
  EXPECT_EQ(first.back()["content"], "do the work");
  EXPECT_EQ(second.back()["role"], "user");
  EXPECT_EQ(second.back()["content"], "Feedback from the user: use metric units");
  EXPECT_EQ(events("feedback.delivered", outcome.id).size(), 1u);
}

TEST_F(AgentTest, StreamedAnswersBecomeDeltaEventsAndBrokenStreamsAreRetriedTurns) {
  options_.stream_tokens = true;
  script({{{"fault", "slow_stream"}, {"stream_delay_ms", 5}, {"text", "one two three"}}});
  AgentOutcome streamed = run_worker("coder");
  ASSERT_TRUE(streamed.answered()) << streamed.error;
  EXPECT_EQ(streamed.answer, "one two three");
  std::string joined;
  for (const Event& e : events("llm.delta", streamed.id))
    joined += e.data["text"].get<std::string>();
  EXPECT_EQ(joined, "one two three");

  script({{{"fault", "bad_stream"}, {"text", "a b c d"}},
          {{"fault", "cut_stream"}, {"text", "e f g h i j"}},
          {{"text", "whole"}}});
  AgentOutcome broken = run_worker("coder");
  EXPECT_EQ(broken.status, AgentOutcome::Status::failed);  // two broken streams in a row
  EXPECT_EQ(events("agent.error", broken.id).size(), 2u);
}

}  // namespace
}  // namespace agents::testing
