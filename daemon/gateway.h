// What the network layer (listeners, HTTP and WebSocket sessions) needs from the server:
// authentication, per-tenant connection slots, the dispatcher, health and metrics, and a
// registry of open sessions for shutdown. Server implements it; keeping it abstract keeps
// Beast out of the server's and the task layer's translation units.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/config.h"
#include "daemon/daemon_metrics.h"
#include "daemon/tenants.h"

namespace agentd {

class Dispatcher;

// A WebSocket session as the server sees it.
class SessionControl {
 public:
  virtual ~SessionControl() = default;
  // Shutdown: close with 1001 (going away).
  virtual void close_going_away() = 0;
};

class Gateway {
 public:
  virtual ~Gateway() = default;

  virtual bool draining() const = 0;
  virtual std::string metrics_text() = 0;
  virtual std::shared_ptr<const Tenant> authenticate(std::string_view token) const = 0;
  // False when the tenant has its connections_per_tenant open already.
  virtual bool acquire_connection(const std::string& tenant) = 0;
  virtual void release_connection(const std::string& tenant) = 0;

  virtual const Limits& limits() const = 0;
  virtual DaemonMetrics& metrics() = 0;
  virtual Dispatcher& dispatcher() = 0;

  virtual uint64_t next_peer_id() = 0;
  virtual void session_opened(uint64_t peer_id, std::weak_ptr<SessionControl> session) = 0;
  // Drops the peer's subscriptions.
  virtual void session_closed(uint64_t peer_id) = 0;
};

}  // namespace agentd
