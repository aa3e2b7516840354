#include "agents/llm/client.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <cstdio>
#include <map>
#include <random>
#include <utility>

#include "agents/llm/attempt.h"
#include "agents/llm/concurrency.h"
#include "agents/llm/openai.h"

namespace agents::llm {

namespace asio = boost::asio;
using detail::AttemptOutcome;
using nlohmann::json;

namespace {

struct Endpoint {
  Endpoint(ModelConfig model_config, const asio::any_io_executor& executor)
      : config(std::move(model_config)),
        limiter(executor, config.max_concurrency),
        breaker(config.base_url, config.breaker) {}
  ModelConfig config;
  AimdLimiter limiter;
  CircuitBreaker breaker;
};

// What an attempt's outcome tells the breaker: retryable failures say the endpoint is
// unwell; any answer from it (a 4xx, a malformed body) says it is alive; a cancelled attempt,
// or one that failed before reaching it, says nothing.
void report(CircuitBreaker& breaker, const AttemptOutcome& outcome) {
  if (outcome.kind == AttemptOutcome::Kind::retryable)
    breaker.failed(outcome.error, CircuitBreaker::Clock::now());
  else if (outcome.kind == AttemptOutcome::Kind::answered || outcome.status != 0)
    breaker.succeeded();
  else
    breaker.abandoned();
}

// What one chat() call carries through its attempts.
struct Call {
  const ChatRequest& request;
  Endpoint& endpoint;
  EventSink* events;

  void emit(const char* type, json data) const {
    if (events == nullptr) return;
    data["model"] = endpoint.config.name;
    if (!request.role.empty()) data["role"] = request.role;
    Event event;
    event.type = type;
    event.task_id = request.task_id;
    event.agent_id = request.agent_id;
    event.data = std::move(data);
    events->emit(std::move(event));
  }
  base::Error error(const std::string& what) const {
    return base::Error{"model " + endpoint.config.name + ": " + what};
  }
};

std::string seconds_text(std::chrono::milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(duration.count()) / 1000);
  return text;
}

}  // namespace

class Client::Impl {
 public:
  Impl(http::Client& http, std::vector<ModelConfig> models, ClientOptions options)
      : http_(http), models_(std::move(models)), options_(options) {
    for (const auto& model : models_) {
      endpoints_.try_emplace(model.name, model, http_.get_executor());
    }
  }

  asio::awaitable<base::Expected<ChatResponse>> chat(ChatRequest request);
  Endpoint* find(std::string_view name) {
    const auto found = endpoints_.find(name);
    return found == endpoints_.end() ? nullptr : &found->second;
  }
  const std::vector<ModelConfig>& models() const { return models_; }
  UsageLedger& ledger() { return options_.ledger ? *options_.ledger : own_ledger_; }

 private:
  asio::awaitable<base::Expected<ChatResponse>> attempts(const Call& call, http::Request prepared);
  base::Error unknown_model(const std::string& name) const;
  ChatResponse account(const Call& call, ChatResponse response, uint32_t attempt);

  http::Client& http_;
  std::vector<ModelConfig> models_;
  ClientOptions options_;
  UsageLedger own_ledger_;
  std::map<std::string, Endpoint, std::less<>> endpoints_;
  std::mt19937_64 random_{std::random_device{}()};
};

base::Error Client::Impl::unknown_model(const std::string& name) const {
  std::string known;
  for (const auto& model : models_) known += (known.empty() ? "" : ", ") + model.name;
  return base::Error{"unknown model \"" + name +
                     "\" (configured: " + (known.empty() ? std::string("none") : known) + ")"};
}

asio::awaitable<base::Expected<ChatResponse>> Client::Impl::chat(ChatRequest request) {
  Endpoint* endpoint = find(request.model);
  if (endpoint == nullptr) co_return unknown_model(request.model);
  const Call call{request, *endpoint, request.events ? request.events : options_.events};
  const bool stream = static_cast<bool>(request.on_token);
  // Strings the model produced may hold invalid UTF-8; they are replaced, not thrown on.
  std::string body = request_body(request, endpoint->config, stream)
                         .dump(-1, ' ', false, json::error_handler_t::replace);
  auto prepared = detail::http_request(endpoint->config, std::move(body), request.role);
  if (!prepared) co_return call.error(prepared.error().message);
  try {
    co_return co_await attempts(call, std::move(*prepared));
  } catch (const boost::system::system_error&) {
    // Asio throws at the next co_await once the awaiting coroutine has been cancelled.
    co_return call.error("cancelled");
  }
}

asio::awaitable<base::Expected<ChatResponse>> Client::Impl::attempts(const Call& call,
                                                                     http::Request prepared) {
  const ModelConfig& config = call.endpoint.config;
  const auto started = std::chrono::steady_clock::now();
  for (uint32_t attempt = 1;; ++attempt) {
    AttemptOutcome outcome;
    {
      Permit permit = co_await call.endpoint.limiter.acquire();
      if (!permit) co_return call.error("cancelled");
      // Checked with the permit held: the breaker may have opened while this request waited.
      if (auto refused = call.endpoint.breaker.admit(std::chrono::steady_clock::now()))
        co_return call.error(*refused);
      call.emit("llm.request", {{"attempt", attempt},
                                {"stream", static_cast<bool>(call.request.on_token)},
                                {"messages", call.request.messages.size()},
                                {"tools", call.request.tools.size()}});
      try {
        outcome = co_await detail::send_attempt(http_, prepared, call.request.on_token);
      } catch (...) {
        call.endpoint.breaker.abandoned();  // a trial cancelled by a throw frees its place
        throw;
      }
      report(call.endpoint.breaker, outcome);
      if (outcome.status == 429) {
        call.endpoint.limiter.on_overload();
      } else if (outcome.kind == AttemptOutcome::Kind::answered) {
        call.endpoint.limiter.on_success();
      }
    }
    switch (outcome.kind) {
      case AttemptOutcome::Kind::answered:
        co_return account(call, std::move(outcome.response), attempt);
      case AttemptOutcome::Kind::cancelled:
        co_return call.error("cancelled");
      case AttemptOutcome::Kind::failed:
        co_return call.error(outcome.error);
      case AttemptOutcome::Kind::retryable:
        break;
    }
    if (outcome.deltas_delivered > 0) {
      co_return call.error("the stream broke after " + std::to_string(outcome.deltas_delivered) +
                           " deltas (not retried, they would repeat): " + outcome.error);
    }
    if (attempt > config.max_retries) {
      co_return call.error("gave up after " + std::to_string(attempt) +
                           " attempts: " + outcome.error);
    }
    const auto delay = retry_delay(options_.retry, attempt, outcome.retry_after, random_);
    const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    const auto left = config.max_retry_time - spent - delay;
    if (left <= std::chrono::milliseconds(0)) {
      co_return call.error("gave up after " + std::to_string(attempt) + " attempts in " +
                           seconds_text(spent) + " (max_retry_time " +
                           seconds_text(config.max_retry_time) + "): " + outcome.error);
    }
    prepared.timeout = std::min(config.timeout, left);
    call.emit("llm.retry", {{"attempt", attempt},
                            {"status", outcome.status},
                            {"delay_ms", delay.count()},
                            {"reason", outcome.error}});
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return call.error("cancelled");
  }
}

ChatResponse Client::Impl::account(const Call& call, ChatResponse response, uint32_t attempt) {
  response.attempts = attempt;
  response.model = call.endpoint.config.name;
  response.usage.requests = 1;
  response.usage.cost_usd = cost_of(response.usage, call.endpoint.config);
  ledger().record(call.request.task_id, call.request.agent_id, call.endpoint.config.name,
                  response.usage);
  call.emit("llm.usage", {{"prompt_tokens", response.usage.prompt_tokens},
                          {"completion_tokens", response.usage.completion_tokens},
                          {"cached_tokens", response.usage.cached_tokens},
                          {"reasoning_tokens", response.usage.reasoning_tokens},
                          {"cost_usd", response.usage.cost_usd},
                          {"attempts", attempt},
                          {"finish_reason", response.finish_reason}});
  return response;
}

Client::Client(http::Client& http, std::vector<ModelConfig> models, ClientOptions options)
    : impl_(std::make_unique<Impl>(http, std::move(models), options)) {}

Client::~Client() = default;

asio::awaitable<base::Expected<ChatResponse>> Client::chat(ChatRequest request) {
  return impl_->chat(std::move(request));
}

const std::vector<ModelConfig>& Client::models() const {
  return impl_->models();
}

const ModelConfig* Client::find_model(std::string_view name) const {
  const Endpoint* endpoint = impl_->find(name);
  return endpoint ? &endpoint->config : nullptr;
}

uint32_t Client::concurrency_limit(std::string_view model) const {
  const Endpoint* endpoint = impl_->find(model);
  return endpoint ? endpoint->limiter.limit() : 0;
}

uint32_t Client::in_flight(std::string_view model) const {
  const Endpoint* endpoint = impl_->find(model);
  return endpoint ? endpoint->limiter.in_use() : 0;
}

UsageLedger& Client::usage() {
  return impl_->ledger();
}

}  // namespace agents::llm
