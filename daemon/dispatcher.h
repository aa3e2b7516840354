// JSON-RPC dispatch: one text frame in (a request or a batch), one frame out (a response, an
// array of responses, or nothing for notifications). Each request is rate limited, routed to
// its method with the caller's tenant, counted and timed; a handler's exception becomes
// -32603 without internals.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/daemon_metrics.h"
#include "daemon/peer.h"
#include "daemon/rate_limiter.h"
#include "daemon/reply.h"
#include "daemon/tenants.h"

namespace agentd {

class TaskManager;
class ExecService;
class InfoMethods;

struct RequestContext {
  std::string tenant;  // the connection's tenant; looked up per request (SIGHUP may change it)
  std::shared_ptr<Peer> peer;
  RateLimiter* limiter = nullptr;  // the connection's; the peer keeps it alive
};

struct DispatchOutcome {
  std::string frame;  // empty: nothing to send
  std::vector<std::function<void()>> after_sent;
};

class Dispatcher {
 public:
  using TenantLookup = std::function<std::shared_ptr<const Tenant>(std::string_view)>;
  Dispatcher(TaskManager& tasks, ExecService& exec, InfoMethods& info, TenantLookup tenants,
             DaemonMetrics& metrics, size_t max_batch);

  boost::asio::awaitable<DispatchOutcome> handle(std::string text, RequestContext context);

  // The known methods (metrics label anything else "other").
  static bool known_method(std::string_view method);

 private:
  boost::asio::awaitable<Reply> call(std::string method, nlohmann::json params, Tenant tenant,
                                     RequestContext context);
  boost::asio::awaitable<Reply> answer(std::string method, nlohmann::json params,
                                       RequestContext context);

  TaskManager& tasks_;
  ExecService& exec_;
  InfoMethods& info_;
  TenantLookup tenants_;
  DaemonMetrics& metrics_;
  size_t max_batch_;
};

}  // namespace agentd
