// Every fault the scripted LLM server injects, seen through agents::llm::Client: what is
// retried (429 with Retry-After, 5xx, a dropped connection, a hang past the timeout), what
// becomes an error value (malformed bodies and streams, 4xx, exhausted retries) and what the
// agent gets to see (invalid tool arguments, unknown tool names, unknown finish reasons).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "agents/llm/client.h"
#include "tests/fixtures/scripted_llm/chat_fixture.h"

namespace agents::llm {
namespace {

using agents::testing::EventLog;
using nlohmann::json;

class LlmFaultsTest : public agents::testing::ScriptedLlmTest {
 protected:
  // A script whose "worker" role answers with `steps` in order, then "done".
  void script(const json& steps) {
    load({{"roles", {{"worker", {{"steps", steps}, {"default", {{"text", "done"}}}}}}}});
  }
  bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }
};

TEST_F(LlmFaultsTest, RateLimitIsRetriedAfterRetryAfter) {
  script(json::parse(R"([{"fault": "429", "retry_after": 1}, {"text": "after the limit"}])"));
  EventLog events;
  auto client = make_client({model()}, quick_retries(&events));
  const auto started = std::chrono::steady_clock::now();
  const auto reply = chat(*client, request("test", "worker", "hi"));
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->message.content, "after the limit");
  EXPECT_EQ(reply->attempts, 2u);
  // Retry-After: 1 asks for a second; the quick backoff alone would wait at most 50 ms.
  EXPECT_GE(waited, std::chrono::milliseconds(990));
  const auto retries = events.of_type("llm.retry");
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0].data["status"], 429);
  EXPECT_EQ(retries[0].data["delay_ms"], 1000);
  EXPECT_EQ(retries[0].data["attempt"], 1);
  EXPECT_EQ(events.of_type("llm.request").size(), 2u);
  // The failed attempt is not counted as usage.
  EXPECT_EQ(client->usage().total().requests, 1u);
  EXPECT_EQ(client->usage().total().prompt_tokens,
            requests()[1]["usage"]["prompt_tokens"].get<uint64_t>());
}

TEST_F(LlmFaultsTest, ServerErrorsAreRetriedThenSucceed) {
  script(json::parse(R"([{"fault": "500"}, {"fault": "503"}, {"text": "third time"}])"));
  EventLog events;
  auto client = make_client({model()}, quick_retries(&events));
  const auto reply = chat(*client, request("test", "worker", "hi"));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->message.content, "third time");
  EXPECT_EQ(reply->attempts, 3u);
  const auto retries = events.of_type("llm.retry");
  ASSERT_EQ(retries.size(), 2u);
  EXPECT_EQ(retries[0].data["status"], 500);
  EXPECT_EQ(retries[1].data["status"], 503);
  EXPECT_LE(retries[1].data["delay_ms"].get<int64_t>(), 50);
  EXPECT_EQ(requests().size(), 3u);
}

TEST_F(LlmFaultsTest, RetriesAreBoundedByMaxRetries) {
  load({{"default", {{"fault", "502"}}}});
  ModelConfig config = model();
  config.max_retries = 2;
  auto client = make_client({config}, quick_retries());
  const auto reply = chat(*client, request("test", "worker", "hi"));
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(contains(reply.error().message, "gave up after 3 attempts")) << reply.error().message;
  EXPECT_TRUE(contains(reply.error().message, "HTTP 502")) << reply.error().message;
  EXPECT_EQ(requests().size(), 3u);
  EXPECT_EQ(client->usage().total().requests, 0u);
}

TEST_F(LlmFaultsTest, HangTimesOutAndIsRetried) {
  script(json::parse(R"([{"fault": "hang"}, {"text": "answered"}])"));
  ModelConfig config = model();
  config.timeout = std::chrono::milliseconds(1000);
  EventLog events;
  auto client = make_client({config}, quick_retries(&events));
  const auto reply = chat(*client, request("test", "worker", "hi"));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->message.content, "answered");
  EXPECT_EQ(reply->attempts, 2u);
  const auto retries = events.of_type("llm.retry");
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0].data["status"], 0);
  EXPECT_TRUE(contains(retries[0].data["reason"].get<std::string>(), "1000 ms"))
      << retries[0].data.dump();
  // The client closed the hung connection when it gave up on it.
  EXPECT_TRUE(
      agents::testing::run_until(io_, [&] { return requests()[0].value("client_closed", false); }));
}

TEST_F(LlmFaultsTest, DroppedConnectionIsRetried) {
  script(json::parse(R"([{"fault": "drop"}, {"text": "reconnected"}])"));
  auto client = make_client({model()}, quick_retries());
  const auto reply = chat(*client, request("test", "worker", "hi"));
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->message.content, "reconnected");
  EXPECT_EQ(reply->attempts, 2u);
}

TEST_F(LlmFaultsTest, ClientErrorsAreNotRetried) {
  script(json::parse(R"([{"fault": "400"}])"));
  auto client = make_client({model()}, quick_retries());
  const auto reply = chat(*client, request("test", "worker", "hi"));
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(contains(reply.error().message, "HTTP 400: scripted 400")) << reply.error().message;
  EXPECT_EQ(requests().size(), 1u);
}

TEST_F(LlmFaultsTest, MalformedBodiesAreErrorValues) {
  script(json::parse(R"([{"fault": "malformed"}, {"fault": "no_choices"}])"));
  auto client = make_client({model()}, quick_retries());
  const auto malformed = chat(*client, request("test", "worker", "hi"));
  ASSERT_FALSE(malformed.ok());
  EXPECT_TRUE(contains(malformed.error().message, "malformed response: not JSON"))
      << malformed.error().message;
  EXPECT_TRUE(contains(malformed.error().message, "model test")) << malformed.error().message;
  const auto empty = chat(*client, request("test", "worker", "hi"));
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(contains(empty.error().message, "no choices")) << empty.error().message;
  EXPECT_EQ(requests().size(), 2u);  // neither was retried
  EXPECT_EQ(client->usage().total().requests, 0u);
}

TEST_F(LlmFaultsTest, InvalidToolArgumentsAndUnknownToolsReachTheCaller) {
  script(json::parse(R"([
      {"fault": "invalid_tool_args",
       "tool_calls": [{"name": "run_code", "arguments": {"code": "1 + 1"}}]},
      {"fault": "unknown_tool", "tool_calls": [{"name": "run_code", "arguments": {}}]},
      {"text": "odd", "finish_reason": "something_new"}])"));
  auto client = make_client({model()}, quick_retries());
  const auto invalid = chat(*client, request("test", "worker", "hi"));
  ASSERT_TRUE(invalid.ok()) << invalid.error().message;
  ASSERT_EQ(invalid->message.tool_calls.size(), 1u);
  EXPECT_EQ(invalid->message.tool_calls[0].name, "run_code");
  EXPECT_TRUE(json::parse(invalid->message.tool_calls[0].arguments, nullptr, false).is_discarded())
      << invalid->message.tool_calls[0].arguments;
  const auto unknown = chat(*client, request("test", "worker", "hi"));
  ASSERT_TRUE(unknown.ok()) << unknown.error().message;
  ASSERT_EQ(unknown->message.tool_calls.size(), 1u);
  EXPECT_EQ(unknown->message.tool_calls[0].name, "no_such_tool");
  const auto odd = chat(*client, request("test", "worker", "hi"));
  ASSERT_TRUE(odd.ok()) << odd.error().message;
  EXPECT_EQ(odd->finish_reason, "something_new");
}

TEST_F(LlmFaultsTest, InvalidToolArgumentsSurviveStreaming) {
  script(json::parse(R"([{"fault": "invalid_tool_args",
                          "tool_calls": [{"name": "run_code", "arguments": {"code": "x"}}]}])"));
  auto client = make_client({model()}, quick_retries());
  ChatRequest chat = request("test", "worker", "hi");
  chat.on_token = [](std::string_view) {};
  const auto reply = this->chat(*client, chat);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  ASSERT_EQ(reply->message.tool_calls.size(), 1u);
  EXPECT_TRUE(json::parse(reply->message.tool_calls[0].arguments, nullptr, false).is_discarded());
}

TEST_F(LlmFaultsTest, MalformedStreamIsAnErrorValue) {
  script(json::parse(R"([{"fault": "bad_stream", "text": "a b c"}])"));
  auto client = make_client({model()}, quick_retries());
  ChatRequest chat = request("test", "worker", "hi");
  chat.on_token = [](std::string_view) {};
  const auto reply = this->chat(*client, chat);
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(contains(reply.error().message, "malformed stream")) << reply.error().message;
  EXPECT_EQ(requests().size(), 1u);
}

TEST_F(LlmFaultsTest, StreamCutAfterDeltasIsNotRetried) {
  script(json::parse(R"([{"fault": "cut_stream", "text": "one two three four five six"}])"));
  auto client = make_client({model()}, quick_retries());
  std::string streamed;
  ChatRequest chat = request("test", "worker", "hi");
  chat.on_token = [&streamed](std::string_view delta) { streamed += delta; };
  const auto reply = this->chat(*client, chat);
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(contains(reply.error().message, "the stream broke after")) << reply.error().message;
  EXPECT_FALSE(streamed.empty());
  EXPECT_EQ(requests().size(), 1u);
}

TEST_F(LlmFaultsTest, SlowStreamStillDeliversEveryDelta) {
  script(
      json::parse(R"([{"fault": "slow_stream", "stream_delay_ms": 30, "text": "w1 w2 w3 w4"}])"));
  auto client = make_client({model()}, quick_retries());
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  ChatRequest chat = request("test", "worker", "hi");
  chat.on_token = [&arrivals](std::string_view) {
    arrivals.push_back(std::chrono::steady_clock::now());
  };
  const auto reply = this->chat(*client, chat);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->message.content, "w1 w2 w3 w4");
  ASSERT_EQ(arrivals.size(), 4u);
  // Deltas arrive as they are sent, not all at the end (the server waits between them).
  EXPECT_GE(arrivals.back() - arrivals.front(), std::chrono::milliseconds(60));
}

}  // namespace
}  // namespace agents::llm
