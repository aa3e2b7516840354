// SSE parsing and streamed chat completions put back together, fed in awkward pieces.
#include "agents/llm/sse.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "agents/llm/stream.h"

namespace agents::llm {
namespace {

std::vector<std::string> events_of(const std::string& text, std::size_t piece) {
  std::vector<std::string> events;
  SseParser parser([&events](std::string_view data) {
    events.emplace_back(data);
    return true;
  });
  for (std::size_t at = 0; at < text.size(); at += piece) {
    EXPECT_TRUE(parser.feed(std::string_view(text).substr(at, piece))) << parser.error();
  }
  EXPECT_TRUE(parser.finish()) << parser.error();
  return events;
}

TEST(SseParserTest, DataFieldsAreJoinedPerEventWhateverTheChunking) {
  const std::string text =
      ": keep-alive comment\r\n"
      "data: first\r\n\r\n"
      "event: ignored\nid: 7\ndata:second\ndata:  two lines\n\n"
      "retry: 100\n\n"
      "data: [DONE]\n\n";
  for (std::size_t piece : {1u, 2u, 3u, 7u, 1000u}) {
    EXPECT_EQ(events_of(text, piece),
              (std::vector<std::string>{"first", "second\n two lines", "[DONE]"}))
        << "piece size " << piece;
  }
}

TEST(SseParserTest, LastEventWithoutBlankLineIsDispatchedAtTheEnd) {
  EXPECT_EQ(events_of("data: a\n\ndata: tail", 4), (std::vector<std::string>{"a", "tail"}));
}

TEST(SseParserTest, OversizedEventStopsTheParser) {
  SseParser parser([](std::string_view) { return true; }, 64);
  EXPECT_FALSE(parser.feed("data: " + std::string(100, 'x')));
  EXPECT_NE(parser.error().find("64 bytes"), std::string::npos);
  SseParser endless([](std::string_view) { return true; }, 64);
  EXPECT_TRUE(endless.feed("data: " + std::string(40, 'x')));
  EXPECT_FALSE(endless.feed(std::string(40, 'x')));  // one line that never ends
}

std::string chunk(const std::string& delta, const std::string& finish = "null") {
  return "data: {\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + finish +
         "}]}\n\n";
}

TEST(StreamAccumulatorTest, ContentAndToolCallsAreMergedByIndex) {
  const std::string stream =
      chunk(R"({"role":"assistant","content":""})") + chunk(R"({"content":"Hel"})") +
      chunk(R"({"content":"lo"})") +
      // (SSE data is one line: the JSON of a chunk must not contain a line break.)
      chunk(R"({"tool_calls":[{"index":0,"id":"c0","type":"function",)"
            R"("function":{"name":"run_code","arguments":""}}]})") +
      chunk(R"({"tool_calls":[{"index":1,"id":"c1","function":{"name":"read_file",)"
            R"("arguments":"{\"path\""}}]})") +
      chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"code\":"}}]})") +
      chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"\"1\"}"}}]})") +
      chunk(R"({"tool_calls":[{"index":1,"function":{"arguments":":\"a\"}"}}]})") +
      chunk("{}", "\"tool_calls\"") +
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,"
      "\"prompt_tokens_details\":{\"cached_tokens\":5}}}\n\n"
      "data: [DONE]\n\n";
  std::string tokens;
  StreamAccumulator stream_state([&tokens](std::string_view delta) { tokens += delta; });
  for (std::size_t at = 0; at < stream.size(); at += 5) {
    ASSERT_TRUE(stream_state.feed(std::string_view(stream).substr(at, 5)));
  }
  const auto response = stream_state.finish();
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(tokens, "Hello");
  EXPECT_EQ(stream_state.deltas_delivered(), 2u);
  EXPECT_EQ(response->message.content, "Hello");
  ASSERT_EQ(response->message.tool_calls.size(), 2u);
  EXPECT_EQ(response->message.tool_calls[0].id, "c0");
  EXPECT_EQ(response->message.tool_calls[0].arguments, R"({"code":"1"})");
  EXPECT_EQ(response->message.tool_calls[1].name, "read_file");
  EXPECT_EQ(response->message.tool_calls[1].arguments, R"({"path":"a"})");
  EXPECT_EQ(response->finish_reason, "tool_calls");
  EXPECT_EQ(response->usage.prompt_tokens, 9u);
  EXPECT_EQ(response->usage.cached_tokens, 5u);
}

TEST(StreamAccumulatorTest, MalformedOrIncompleteStreamsAreErrors) {
  struct Case {
    std::string stream;
    std::string error;
  };
  const std::vector<Case> cases = {
      {chunk(R"({"content":"a"})") + "data: {not json\n\n", "not JSON"},
      {"data: [1,2]\n\n", "not a JSON object"},
      {"data: {\"error\":{\"message\":\"overloaded\"}}\n\n", "overloaded"},
      {"data: {\"choices\":{}}\n\n", "not a list"},
      {chunk(R"({"content":"a"})"), "ended before the answer was complete"},
      {chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]})", "\"stop\""),
       "no function name"},
  };
  for (const auto& c : cases) {
    StreamAccumulator stream_state(nullptr);
    stream_state.feed(c.stream);
    const auto response = stream_state.finish();
    ASSERT_FALSE(response.ok()) << c.stream;
    EXPECT_NE(response.error().message.find(c.error), std::string::npos)
        << response.error().message;
  }
}

TEST(StreamAccumulatorTest, FinishReasonWithoutDoneIsAccepted) {
  StreamAccumulator stream_state(nullptr);
  ASSERT_TRUE(stream_state.feed(chunk(R"({"content":"x"})", "\"length\"")));
  const auto response = stream_state.finish();
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->finish_reason, "length");
}

TEST(StreamAccumulatorTest, ThrowingOnTokenBreaksTheStreamInsteadOfEscaping) {
  StreamAccumulator stream_state([](std::string_view) { throw std::runtime_error("boom"); });
  EXPECT_FALSE(stream_state.feed(chunk(R"({"content":"x"})")));
  EXPECT_TRUE(stream_state.broken());
  const auto response = stream_state.finish();
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.error().message.find("on_token threw: boom"), std::string::npos);
}

}  // namespace
}  // namespace agents::llm
