// The chat-completions wire format: request bodies and (non-streamed) response parsing,
// including the shapes a hostile or broken server may send.
#include "agents/llm/openai.h"

#include <gtest/gtest.h>

namespace agents::llm {
namespace {

using nlohmann::json;

TEST(OpenAiFormatTest, RequestBodyCarriesMessagesToolsAndOptions) {
  ChatRequest request;
  Message system;
  system.role = "system";
  system.content = "be brief";
  Message assistant;
  assistant.role = "assistant";
  assistant.tool_calls = {{"c1", "run_code", R"({"code":"1"})"}};
  Message tool;
  tool.role = "tool";
  tool.content = "1";
  tool.tool_call_id = "c1";
  request.messages = {system, assistant, tool};
  ToolDefinition no_parameters;
  no_parameters.name = "list_files";
  no_parameters.description = "Lists files";
  request.tools = {no_parameters};
  ModelConfig model;
  model.model = "server-id";
  const json body = request_body(request, model, /*stream=*/false);
  EXPECT_EQ(body, json::parse(R"({"model": "server-id", "messages": [
      {"role": "system", "content": "be brief"},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
        "function": {"name": "run_code", "arguments": "{\"code\":\"1\"}"}}]},
      {"role": "tool", "content": "1", "tool_call_id": "c1"}],
    "tools": [{"type": "function", "function": {"name": "list_files", "description": "Lists files",
      "parameters": {"type": "object", "properties": {}}}}]})"));
  const json streamed = request_body(request, model, /*stream=*/true);
  EXPECT_EQ(streamed["stream"], true);
  EXPECT_EQ(streamed["stream_options"]["include_usage"], true);
}

TEST(OpenAiFormatTest, ParsesContentToolCallsFinishAndUsage) {
  const auto response = parse_response(R"({"choices": [{"index": 0, "finish_reason": "tool_calls",
      "message": {"role": "assistant", "content": [{"type": "text", "text": "a"},
                                                   {"type": "text", "text": "b"}],
        "tool_calls": [{"id": "x", "type": "function",
                        "function": {"name": "f", "arguments": "{\"k\": 1"}},
                       {"id": "y", "type": "function",
                        "function": {"name": "g", "arguments": {"k": 2}}}]}}],
      "usage": {"prompt_tokens": 10, "completion_tokens": 5,
                "prompt_tokens_details": {"cached_tokens": 4},
                "completion_tokens_details": {"reasoning_tokens": 3}}})");
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->message.content, "ab");
  ASSERT_EQ(response->message.tool_calls.size(), 2u);
  EXPECT_EQ(response->message.tool_calls[0].arguments, "{\"k\": 1");  // invalid, kept as sent
  EXPECT_EQ(json::parse(response->message.tool_calls[1].arguments), json::parse(R"({"k":2})"));
  EXPECT_EQ(response->finish_reason, "tool_calls");
  EXPECT_EQ(response->usage.prompt_tokens, 10u);
  EXPECT_EQ(response->usage.completion_tokens, 5u);
  EXPECT_EQ(response->usage.cached_tokens, 4u);
  EXPECT_EQ(response->usage.reasoning_tokens, 3u);
}

TEST(OpenAiFormatTest, NullContentAndMissingUsageAreFine) {
  const auto response =
      parse_response(R"({"choices": [{"message": {"content": null}, "finish_reason": null}]})");
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->message.content, "");
  EXPECT_EQ(response->finish_reason, "");
  EXPECT_EQ(response->usage.total_tokens(), 0u);
}

TEST(OpenAiFormatTest, MalformedBodiesAreErrorsNotExceptions) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not JSON"},
      {"{\"choices\": [", "not JSON"},
      {"[]", "not a JSON object"},
      {R"({"error": {"message": "quota exceeded"}})", "quota exceeded"},
      {R"({"choices": []})", "no choices"},
      {R"({"choices": "x"})", "no choices"},
      {R"({"choices": [3]})", "choices[0] is not an object"},
      {R"({"choices": [{}]})", "message is not an object"},
      {R"({"choices": [{"message": {"content": 5}}]})", "neither text nor a list"},
      {R"({"choices": [{"message": {"tool_calls": {}}}]})", "tool_calls is not a list"},
      {R"({"choices": [{"message": {"tool_calls": [{"id": "x"}]}}]})", "no \"function\""},
      {R"({"choices": [{"message": {"tool_calls": [{"function": {"name": 3}}]}}]})",
       "no function name"},
  };
  for (const auto& [body, expected] : cases) {
    const auto response = parse_response(body);
    ASSERT_FALSE(response.ok()) << body;
    EXPECT_NE(response.error().message.find(expected), std::string::npos)
        << body << " -> " << response.error().message;
  }
}

TEST(OpenAiFormatTest, UsageIgnoresWrongTypes) {
  const Usage usage = parse_usage(json::parse(R"({"prompt_tokens": -3, "completion_tokens": "9",
      "prompt_tokens_details": null, "completion_tokens_details": {"reasoning_tokens": 2}})"));
  EXPECT_EQ(usage.prompt_tokens, 0u);
  EXPECT_EQ(usage.completion_tokens, 0u);
  EXPECT_EQ(usage.cached_tokens, 0u);
  EXPECT_EQ(usage.reasoning_tokens, 2u);
}

TEST(OpenAiFormatTest, ErrorExcerptIsShortAndPrintable) {
  EXPECT_EQ(error_excerpt(R"({"error": {"message": "bad\nkey"}})"), "bad key");
  EXPECT_EQ(error_excerpt(R"({"error": "plain"})"), "plain");
  const std::string excerpt = error_excerpt(std::string(1000, 'z'));
  EXPECT_EQ(excerpt.size(), 303u);
  EXPECT_TRUE(excerpt.ends_with("..."));
  EXPECT_EQ(error_excerpt(""), "empty body");
}

}  // namespace
}  // namespace agents::llm
