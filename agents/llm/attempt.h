// One HTTP exchange of a chat request, and what its outcome means for the retry loop in
// client.cc. Internal to agents/llm.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "agents/http/curl_multi.h"
#include "agents/llm/chat.h"
#include "base/expected.h"

namespace agents::llm::detail {

struct AttemptOutcome {
  enum class Kind {
    answered,   // `response` holds the parsed answer
    cancelled,  // the awaiting coroutine was cancelled
    retryable,  // 429, 5xx, connection error, timeout
    failed,     // anything a retry would not change: 4xx, malformed body, broken stream
  };
  Kind kind = Kind::failed;
  ChatResponse response;
  std::string error;  // why, when not answered
  long status = 0;    // HTTP status, 0 when none arrived
  std::optional<std::chrono::milliseconds> retry_after;
  std::size_t deltas_delivered = 0;  // content already handed to on_token
};

// The POST for `model` (URL, JSON headers, bearer key from the model's environment
// variable, X-Agentd-Role). Error when the key's variable is unset or unusable.
base::Expected<http::Request> http_request(const ModelConfig& model, std::string body,
                                           std::string_view role);

// Sends `request` once; with `on_token`, reads the answer as an SSE stream.
boost::asio::awaitable<AttemptOutcome> send_attempt(
    http::Client& client, http::Request request,
    const std::function<void(std::string_view)>& on_token);

}  // namespace agents::llm::detail
