// agents::llm::Client against the scripted LLM server: what is sent (body, headers, tools,
// response_format, streaming options) and what comes back (content, tool calls, deltas,
// usage, events).
#include "agents/llm/client.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/fixtures/scripted_llm/chat_fixture.h"

namespace agents::llm {
namespace {

using agents::testing::EventLog;
using nlohmann::json;

class LlmClientTest : public agents::testing::ScriptedLlmTest {};

TEST_F(LlmClientTest, PlainChatReturnsTheScriptedAnswerAndSendsTheRoleAndKey) {
  load({{"roles", {{"worker", {{"steps", {{{"text", "hello {{n}} from {{role}}"}}}}}}}}});
  ::setenv("AGENTD_LLM_TEST_KEY", "sk-test-123", 1);
  ModelConfig config = model();
  config.api_key_env = "AGENTD_LLM_TEST_KEY";
  config.usd_per_million_input = 2;
  config.usd_per_million_output = 8;
  EventLog events;
  auto client = make_client({config}, quick_retries(&events));
  ChatRequest chat = request("test", "worker", "Say hello");
  chat.task_id = "task-1";
  chat.agent_id = "agent-1";

  const auto reply = this->chat(*client, chat);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->message.role, "assistant");
  EXPECT_EQ(reply->message.content, "hello 1 from worker");
  EXPECT_EQ(reply->finish_reason, "stop");
  EXPECT_EQ(reply->attempts, 1u);
  EXPECT_EQ(reply->model, "test");

  const json log = requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["role"], "worker");
  EXPECT_EQ(log[0]["authorization"], "Bearer sk-test-123");
  EXPECT_EQ(log[0]["request"]["model"], "scripted-test");
  EXPECT_FALSE(log[0]["request"].contains("stream"));
  EXPECT_EQ(log[0]["request"]["messages"],
            json::parse(R"([{"role":"system","content":"You are a test agent."},
                            {"role":"user","content":"Say hello"}])"));

  const json& usage = log[0]["usage"];
  EXPECT_EQ(reply->usage.prompt_tokens, usage["prompt_tokens"].get<uint64_t>());
  EXPECT_EQ(reply->usage.completion_tokens, usage["completion_tokens"].get<uint64_t>());
  EXPECT_EQ(reply->usage.requests, 1u);
  EXPECT_DOUBLE_EQ(reply->usage.cost_usd,
                   (reply->usage.prompt_tokens * 2.0 + reply->usage.completion_tokens * 8.0) / 1e6);

  ASSERT_EQ(events.events.size(), 2u);
  EXPECT_EQ(events.events[0].type, "llm.request");
  EXPECT_EQ(events.events[1].type, "llm.usage");
  for (const auto& event : events.events) {
    EXPECT_EQ(event.task_id, "task-1");
    EXPECT_EQ(event.agent_id, "agent-1");
    EXPECT_EQ(event.data["model"], "test");
    EXPECT_EQ(event.data["role"], "worker");
    EXPECT_EQ(event.data.dump().find("sk-test-123"), std::string::npos);
  }
  EXPECT_EQ(events.events[1].data["prompt_tokens"], reply->usage.prompt_tokens);
}

TEST_F(LlmClientTest, ToolCallsRoundTrip) {
  load(json::parse(R"({"roles": {"coder": {"steps": [
      {"tool_calls": [{"name": "run_code", "id": "call_a",
                       "arguments": {"language": "python", "code": "2 + 2"}},
                      {"name": "read_file", "id": "call_b", "arguments": {"path": "x.txt"}}]},
      {"text": "the answer is 4"}]}}})"));
  auto client = make_client({model()}, quick_retries());
  ChatRequest chat = request("test", "coder", "Compute 2+2");
  ToolDefinition run_code;
  run_code.name = "run_code";
  run_code.description = "Runs code in a sandbox";
  run_code.parameters = json::parse(R"({"type":"object","properties":{"code":{"type":"string"}}})");
  chat.tools = {run_code};

  auto first = this->chat(*client, chat);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->finish_reason, "tool_calls");
  ASSERT_EQ(first->message.tool_calls.size(), 2u);
  EXPECT_EQ(first->message.tool_calls[0].id, "call_a");
  EXPECT_EQ(first->message.tool_calls[0].name, "run_code");
  EXPECT_EQ(json::parse(first->message.tool_calls[0].arguments)["code"], "2 + 2");
  EXPECT_EQ(first->message.tool_calls[1].name, "read_file");

  chat.messages.push_back(first->message);
  Message result = message("tool", "4\n");
  result.tool_call_id = "call_a";
  chat.messages.push_back(result);
  Message refusal = message("tool", "read_file is not allowed");
  refusal.tool_call_id = "call_b";
  chat.messages.push_back(refusal);
  auto second = this->chat(*client, chat);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->message.content, "the answer is 4");
  EXPECT_TRUE(second->message.tool_calls.empty());

  const json log = requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["request"]["tools"], json::parse(R"([{"type":"function","function":{
      "name":"run_code","description":"Runs code in a sandbox",
      "parameters":{"type":"object","properties":{"code":{"type":"string"}}}}}])"));
  const json& sent = log[1]["request"]["messages"];
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(sent[2]["role"], "assistant");
  EXPECT_TRUE(sent[2]["content"].is_null());
  EXPECT_EQ(sent[2]["tool_calls"][0]["id"], "call_a");
  EXPECT_EQ(sent[2]["tool_calls"][0]["type"], "function");
  EXPECT_EQ(sent[2]["tool_calls"][0]["function"]["name"], "run_code");
  EXPECT_EQ(json::parse(sent[2]["tool_calls"][0]["function"]["arguments"].get<std::string>()),
            json::parse(R"({"language": "python", "code": "2 + 2" })"));
  EXPECT_EQ(sent[3], json::parse(R"({"role":"tool","content":"4\n","tool_call_id":"call_a"})"));
  EXPECT_EQ(sent[4]["tool_call_id"], "call_b");
}

TEST_F(LlmClientTest, ResponseFormatAndSamplingOptionsAreSent) {
  load({{"default", {{"json", {{"ok", true}}}}}});
  auto client = make_client({model()}, quick_retries());
  ChatRequest plain = request("test", "judge", "plain");
  ChatRequest object = request("test", "judge", "object");
  object.response_format.kind = ResponseFormat::Kind::json_object;
  object.temperature = 0.25;
  object.max_tokens = 64;
  ChatRequest schema = request("test", "planner", "schema");
  schema.response_format.kind = ResponseFormat::Kind::json_schema;
  schema.response_format.name = "plan";
  schema.response_format.schema = json::parse(R"({"type":"object","required":["steps"]})");
  for (const auto& chat : {plain, object, schema}) {
    const auto reply = this->chat(*client, chat);
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    EXPECT_EQ(json::parse(reply->message.content), json::parse(R"({"ok": true})"));
  }
  const json log = requests();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_FALSE(log[0]["request"].contains("response_format"));
  EXPECT_FALSE(log[0]["request"].contains("temperature"));
  EXPECT_EQ(log[1]["request"]["response_format"], json::parse(R"({"type":"json_object"})"));
  EXPECT_EQ(log[1]["request"]["temperature"], 0.25);
  EXPECT_EQ(log[1]["request"]["max_tokens"], 64);
  EXPECT_EQ(log[2]["request"]["response_format"], json::parse(R"({"type":"json_schema",
      "json_schema":{"name":"plan","schema":{"type":"object","required":["steps"]},
                     "strict":true}})"));
}

TEST_F(LlmClientTest, StreamingDeliversDeltasAndUsage) {
  load(json::parse(R"({"usage": {"cached_tokens": 3, "reasoning_tokens": 2},
      "roles": {"worker": {"steps": [
        {"text": "one two three four five"},
        {"tool_calls": [{"name": "write_file", "id": "w1",
                         "arguments": {"path": "a.txt", "content": "streamed arguments"}}]}]}}})"));
  auto client = make_client({model()}, quick_retries());
  std::vector<std::string> deltas;
  ChatRequest chat = request("test", "worker", "count");
  chat.on_token = [&deltas](std::string_view delta) { deltas.emplace_back(delta); };

  const auto text = this->chat(*client, chat);
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(text->message.content, "one two three four five");
  ASSERT_EQ(deltas.size(), 5u);
  EXPECT_EQ(deltas[0], "one ");
  EXPECT_EQ(deltas[4], "five");
  EXPECT_EQ(text->finish_reason, "stop");
  EXPECT_EQ(text->usage.cached_tokens, 3u);
  EXPECT_EQ(text->usage.reasoning_tokens, 2u);

  const auto calls = this->chat(*client, chat);
  ASSERT_TRUE(calls.ok()) << calls.error().message;
  ASSERT_EQ(calls->message.tool_calls.size(), 1u);
  EXPECT_EQ(calls->message.tool_calls[0].id, "w1");
  EXPECT_EQ(calls->message.tool_calls[0].name, "write_file");
  EXPECT_EQ(json::parse(calls->message.tool_calls[0].arguments)["content"], "streamed arguments");
  EXPECT_EQ(calls->finish_reason, "tool_calls");

  const json log = requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["request"]["stream"], true);
  EXPECT_EQ(log[0]["request"]["stream_options"], json::parse(R"({"include_usage":true})"));
  EXPECT_EQ(text->usage.prompt_tokens, log[0]["usage"]["prompt_tokens"].get<uint64_t>());
  EXPECT_EQ(text->usage.completion_tokens, log[0]["usage"]["completion_tokens"].get<uint64_t>());
  EXPECT_EQ(client->usage().total().requests, 2u);
}

TEST_F(LlmClientTest, ScriptMatchesTheLastUserMessageBeforeSteps) {
  load(json::parse(R"({"roles": {"worker": {
      "match": [{"contains": "capital of France", "text": "Paris"}],
      "steps": [{"text": "first"}, {"text": "second", "repeat": 2}],
      "default": {"text": "worker default"}}},
    "default": {"text": "global default for {{role}}"}})"));
  auto client = make_client({model()}, quick_retries());
  std::vector<std::string> answers;
  for (const char* question : {"hi", "What is the capital of France?", "hi", "hi", "hi"}) {
    const auto reply = chat(*client, request("test", "worker", question));
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    answers.push_back(reply->message.content);
  }
  const auto other = chat(*client, request("test", "judge", "hi"));
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_EQ(answers,
            (std::vector<std::string>{"first", "Paris", "second", "second", "worker default"}));
  EXPECT_EQ(other->message.content, "global default for judge");
}

TEST_F(LlmClientTest, UnknownModelAndMissingKeyAreErrorsWithoutARequest) {
  load(json::object());
  ModelConfig keyed = model("keyed");
  keyed.api_key_env = "AGENTD_LLM_TEST_UNSET_KEY";
  ::unsetenv("AGENTD_LLM_TEST_UNSET_KEY");
  auto client = make_client({model(), keyed}, quick_retries());
  const auto unknown = chat(*client, request("nope", "worker", "hi"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown model \"nope\""), std::string::npos);
  EXPECT_NE(unknown.error().message.find("test, keyed"), std::string::npos);
  const auto no_key = chat(*client, request("keyed", "worker", "hi"));
  ASSERT_FALSE(no_key.ok());
  EXPECT_NE(no_key.error().message.find("AGENTD_LLM_TEST_UNSET_KEY"), std::string::npos);
  EXPECT_TRUE(requests().empty());
}

}  // namespace
}  // namespace agents::llm
