// A streamed chat completion (SSE chunks of `chat.completion.chunk`) put back together:
// content deltas go to on_token as they arrive and are accumulated, tool-call deltas are
// merged by index, the final usage chunk is kept. Anything malformed stops the stream with
// an error value.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "agents/llm/chat.h"
#include "agents/llm/sse.h"
#include "base/expected.h"

namespace agents::llm {

class StreamAccumulator {
 public:
  explicit StreamAccumulator(std::function<void(std::string_view)> on_token);
  StreamAccumulator(const StreamAccumulator&) = delete;
  StreamAccumulator& operator=(const StreamAccumulator&) = delete;

  // Raw body bytes as they arrive. False once the stream is broken (see finish()).
  bool feed(std::string_view bytes);
  // After the transfer ended with a 2xx status: the whole response, or why it is not one.
  base::Expected<ChatResponse> finish();

  // A chunk was malformed (feed returned false); finish() says how.
  bool broken() const { return !error_.empty(); }
  // Content deltas handed to on_token so far (a retry would repeat them).
  std::size_t deltas_delivered() const { return deltas_delivered_; }
  // The first bytes of the body, for the error message of a non-2xx answer.
  const std::string& body_prefix() const { return body_prefix_; }

 private:
  bool take_event(std::string_view data);
  bool take_chunk(const nlohmann::json& chunk);
  bool take_tool_call_delta(const nlohmann::json& delta);
  uint64_t delta_index(const nlohmann::json& entry) const;
  bool deliver(std::string_view delta);
  bool fail(std::string message);

  std::function<void(std::string_view)> on_token_;
  SseParser parser_;
  std::string body_prefix_;
  std::string content_;
  std::map<uint64_t, ToolCall> tool_calls_;  // by the delta's index
  std::string finish_reason_;
  Usage usage_;
  bool done_ = false;  // [DONE] seen
  std::size_t deltas_delivered_ = 0;
  std::string error_;
};

}  // namespace agents::llm
