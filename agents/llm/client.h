// agents::llm::Client: the OpenAI chat-completions API over agents::http::Client, on the
// caller's io_context (no threads). Per configured model: retries with backoff and jitter
// (429, 5xx, connection errors, timeouts; Retry-After honoured) within max_retry_time, a
// per-request timeout, a circuit breaker that fails requests fast while the endpoint keeps
// failing (breaker.h), an AIMD concurrency limit with FIFO waiters, streaming (SSE) when
// ChatRequest::on_token is set, and usage accounting into a UsageLedger. Cancelling the awaiting
// coroutine (its cancellation slot: parallel_group, awaitable operators, a task's signal) aborts
// the request in flight, or the wait for a slot or a retry, at once.
//
// The server learns the request's role from the `X-Agentd-Role` header (the scripted test
// server picks its answers with it; real endpoints ignore it).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "agents/events.h"
#include "agents/http/curl_multi.h"
#include "agents/llm/chat.h"
#include "agents/llm/retry.h"
#include "agents/llm/usage.h"
#include "base/expected.h"

namespace agents::llm {

struct ClientOptions {
  RetryPolicy retry;
  // Default sink for llm.request, llm.retry, llm.usage; ChatRequest::events overrides it.
  EventSink* events = nullptr;
  // Where usage is recorded; null: the Client's own ledger (Client::usage()).
  UsageLedger* ledger = nullptr;
};

class Client {
 public:
  // `http` must outlive this Client; both are used from the same io_context thread. Chats
  // still in flight must complete (or be cancelled) before the Client is destroyed. The AIMD
  // limit is kept per configured model (ModelConfig::name), from its max_concurrency.
  Client(http::Client& http, std::vector<ModelConfig> models, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One chat completion. Errors (unknown model, retries exhausted, malformed response, a
  // non-retryable HTTP status, cancellation) come back as values whose message names the
  // model and what failed; the API key never appears in them. Tool calls whose arguments
  // are not valid JSON are returned as the model produced them, for the agent to see.
  // A streamed answer is not retried once a delta has reached on_token.
  boost::asio::awaitable<base::Expected<ChatResponse>> chat(ChatRequest request);

  const std::vector<ModelConfig>& models() const;
  // nullptr when no model has this name.
  const ModelConfig* find_model(std::string_view name) const;
  // The model's current AIMD limit and requests holding a slot (0 for an unknown model).
  uint32_t concurrency_limit(std::string_view model) const;
  uint32_t in_flight(std::string_view model) const;
  // The ledger usage is recorded into (options.ledger or the Client's own).
  UsageLedger& usage();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace agents::llm
