#include "agents/llm/attempt.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <cstdlib>
#include <optional>

#include "agents/llm/openai.h"
#include "agents/llm/retry.h"
#include "agents/llm/stream.h"

namespace agents::llm::detail {
namespace {

namespace asio = boost::asio;
using Kind = AttemptOutcome::Kind;

// Header values come from configuration and code, but a line break would inject headers.
bool has_line_break(std::string_view value) {
  return value.find_first_of("\r\n") != std::string_view::npos;
}

std::string header_token(std::string_view text) {
  std::string token;
  for (const char c : text.substr(0, 64)) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') {
      token += c;
    }
  }
  return token;
}

// Failures where the server (or the path to it) may do better on the next attempt.
bool retryable_transport(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_AGAIN:
      return true;
    default:
      return false;
  }
}

AttemptOutcome transport_failure(const http::Response& response,
                                 std::chrono::milliseconds timeout) {
  AttemptOutcome outcome;
  outcome.kind = retryable_transport(response.curl_code) ? Kind::retryable : Kind::failed;
  outcome.error = response.curl_code == CURLE_OPERATION_TIMEDOUT
                      ? "no complete answer within " + std::to_string(timeout.count()) + " ms (" +
                            response.error + ")"
                      : response.error;
  if (outcome.error.empty()) outcome.error = curl_easy_strerror(response.curl_code);
  return outcome;
}

AttemptOutcome status_failure(const http::Response& response, std::string_view body) {
  AttemptOutcome outcome;
  outcome.status = response.status;
  outcome.kind = retryable_status(response.status) ? Kind::retryable : Kind::failed;
  outcome.error = "HTTP " + std::to_string(response.status) + ": " + error_excerpt(body);
  if (const auto value = response.header("Retry-After")) {
    outcome.retry_after = parse_retry_after(*value, std::chrono::system_clock::now());
  }
  return outcome;
}

AttemptOutcome parsed(base::Expected<ChatResponse> response, long status) {
  AttemptOutcome outcome;
  outcome.status = status;
  if (!response) {
    outcome.error = response.error().message;
    return outcome;
  }
  outcome.kind = Kind::answered;
  outcome.response = std::move(*response);
  return outcome;
}

}  // namespace

base::Expected<http::Request> http_request(const ModelConfig& model, std::string body,
                                           std::string_view role) {
  http::Request request;
  request.method = "POST";
  std::string base = model.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  request.url = base + "/chat/completions";
  request.body = std::move(body);
  request.timeout = model.timeout;
  request.headers = {"Content-Type: application/json",
                     // libcurl would otherwise wait for "100 Continue" before a large body.
                     "Expect:"};
  if (!model.api_key_env.empty()) {
    const char* key = std::getenv(model.api_key_env.c_str());
    if (key == nullptr || *key == '\0') {
      return base::Error{"the environment variable " + model.api_key_env +
                         " (api_key_env) is not set"};
    }
    if (has_line_break(key)) {
      return base::Error{"the key in " + model.api_key_env + " contains a line break"};
    }
    request.headers.push_back(std::string("Authorization: Bearer ") + key);
  }
  if (const std::string token = header_token(role); !token.empty()) {
    request.headers.push_back("X-Agentd-Role: " + token);
  }
  return request;
}

asio::awaitable<AttemptOutcome> send_attempt(
    http::Client& client, http::Request request,
    const std::function<void(std::string_view)>& on_token) {
  std::optional<StreamAccumulator> stream;
  if (on_token) {
    stream.emplace(on_token);
    request.on_body_chunk = [&stream](std::string_view chunk) { return stream->feed(chunk); };
  }
  const auto timeout = request.timeout;
  const auto max_bytes = request.max_response_bytes;
  auto [ec, response] =
      co_await client.async_request(std::move(request), asio::as_tuple(asio::use_awaitable));
  AttemptOutcome outcome;
  if (ec == asio::error::operation_aborted) {
    outcome.kind = Kind::cancelled;
    co_return outcome;
  }
  const std::string_view body =
      stream ? std::string_view(stream->body_prefix()) : std::string_view(response.body);
  if (stream && stream->broken()) {
    // The reader stopped the transfer (libcurl reports a write error): the stream is bad.
    outcome = parsed(stream->finish(), response.status);
  } else if (!response.ok()) {
    outcome = transport_failure(response, timeout);
  } else if (response.status / 100 != 2) {
    outcome = status_failure(response, body);
  } else if (response.truncated) {
    outcome.error = "the answer passed " + std::to_string(max_bytes) + " bytes";
  } else {
    outcome = parsed(stream ? stream->finish() : parse_response(response.body), response.status);
  }
  if (stream) outcome.deltas_delivered = stream->deltas_delivered();
  co_return outcome;
}

}  // namespace agents::llm::detail
