#include "daemon/dispatcher.h"

#include <chrono>
#include <iostream>

#include "base/coroutine_warning.h"
#include "base/log.h"
#include "daemon/exec_service.h"
#include "daemon/info_methods.h"
#include "daemon/task_manager.h"

AGENTD_COROUTINE_FRAMES_BEGIN  // base/coroutine_warning.h says why

    namespace agentd {
  namespace asio = boost::asio;
  using nlohmann::json;

  namespace {

  constexpr std::string_view kMethods[] = {
      "task.submit", "task.subscribe", "task.unsubscribe", "task.get",    "task.list",
      "task.cancel", "task.feedback",  "exec.run",         "policy.list", "server.info"};

  }  // namespace

  Dispatcher::Dispatcher(TaskManager & tasks, ExecService & exec, InfoMethods & info,
                         TenantLookup tenants, DaemonMetrics & metrics, size_t max_batch)
      : tasks_(tasks),
        exec_(exec),
        info_(info),
        tenants_(std::move(tenants)),
        metrics_(metrics),
        max_batch_(max_batch) {}

  bool Dispatcher::known_method(std::string_view method) {
    for (std::string_view known : kMethods)
      if (known == method) return true;
    return false;
  }

  asio::awaitable<Reply> Dispatcher::call(std::string method, json params, Tenant tenant,
                                          RequestContext context) {
    if (method == "task.submit") co_return co_await tasks_.submit(tenant, params);
    if (method == "task.subscribe")
      co_return co_await tasks_.subscribe(tenant, params, context.peer);
    if (method == "task.unsubscribe")
      co_return co_await tasks_.unsubscribe(tenant, params, context.peer->peer_id());
    if (method == "task.get") co_return co_await tasks_.get(tenant, params);
    if (method == "task.list") co_return co_await tasks_.list(tenant, params);
    if (method == "task.cancel") co_return co_await tasks_.cancel(tenant, params);
    if (method == "task.feedback") co_return co_await tasks_.feedback(tenant, params);
    if (method == "exec.run")
      co_return co_await exec_.run(tenant, params, context.peer ? context.peer->peer_id() : 0);
    if (method == "policy.list") co_return info_.policy_list(tenant, params);
    if (method == "server.info") co_return info_.server_info(tenant, params);
    co_return Reply::error(rpc::method_not_found, "method not found: " + method.substr(0, 128));
  }

  asio::awaitable<Reply> Dispatcher::answer(std::string method, json params,
                                            RequestContext context) {
    if (context.limiter && !context.limiter->try_take()) {
      const uint64_t retry_after = context.limiter->retry_after_ms();
      co_return Reply::error(rpc::rate_limited,
                             "rate limited: retry after " + std::to_string(retry_after) + " ms",
                             json{{"retry_after_ms", retry_after}});
    }
    auto tenant = tenants_(context.tenant);
    if (!tenant)
      co_return Reply::error(rpc::unauthorized,
                             "unauthorized: this connection's tenant is no longer configured");
    try {
      co_return co_await call(method, params, *tenant, context);
    } catch (const std::exception& error) {
      base::log::error() << "" << method << ": " << error.what();
    }
    co_return Reply::error(rpc::internal_error, "internal error");
  }

  asio::awaitable<DispatchOutcome> Dispatcher::handle(std::string text, RequestContext context) {
    DispatchOutcome outcome;
    rpc::Decoded decoded = rpc::decode(text, rpc::DecodeLimits{max_batch_, 64});
    if (decoded.whole) {
      metrics_.rpc_requests.add(
          1, {{"method", "none"}, {"code", std::to_string(decoded.whole->code)}});
      outcome.frame = rpc::error_response(nullptr, *decoded.whole);
      co_return outcome;
    }
    json responses = json::array();
    for (const rpc::Entry& entry : decoded.entries) {
      const auto started = std::chrono::steady_clock::now();
      std::string label = "none";
      Reply reply;
      if (entry.failure) {
        reply = Reply::error(*entry.failure);
      } else {
        label = known_method(entry.request->method) ? entry.request->method : "other";
        reply = co_await answer(entry.request->method, entry.request->params, context);
      }
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
      const int code = reply.failure ? reply.failure->code : 0;
      metrics_.rpc_requests.add(1, {{"method", label}, {"code", std::to_string(code)}});
      metrics_.rpc_seconds.observe(took.count(), {{"method", label}});
      if (reply.after_sent) outcome.after_sent.push_back(std::move(reply.after_sent));
      if (entry.request && entry.request->notification) continue;
      responses.push_back(reply.failure ? rpc::error_object(entry.id, *reply.failure)
                                        : rpc::response_object(entry.id, reply.result));
    }
    if (responses.empty()) co_return outcome;
    outcome.frame = rpc::dump(decoded.batch ? responses : responses[0]);
    co_return outcome;
  }

  AGENTD_COROUTINE_FRAMES_END

}  // namespace agentd
