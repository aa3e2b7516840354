// agentd's server: configuration, journal, policies, tenants, task manager, exec.run and the
// listeners on one io_context, plus the lifecycle. At start, it removes what a dead
// predecessor left (sandbox cgroups, workspaces). SIGTERM (or SIGINT): take no new work (new
// connections are answered HTTP 503, /healthz says "draining"), let running tasks finish
// until shutdown.drain_seconds, cancel the rest, close the listeners and the connections,
// flush the journal, stop the loop (exit 0). SIGHUP: reload policies and
// tenants' tokens from the same file without dropping connections (a bad file changes
// nothing and says why). systemd hears READY, RELOADING, STOPPING, STATUS and WATCHDOG.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "base/expected.h"
#include "base/unique_fd.h"
#include "daemon/config.h"
#include "daemon/daemon_metrics.h"
#include "daemon/gateway.h"
#include "daemon/journal.h"
#include "daemon/notifier.h"
#include "daemon/policy_registry.h"
#include "daemon/task_runner.h"
#include "daemon/tenants.h"

namespace sandbox {
class Runner;
}

namespace agentd {

class TaskManager;
class ExecService;
class InfoMethods;
class Dispatcher;
class Listeners;

struct ServerOptions {
  bool handle_signals = true;  // tests drive shutdown() and reload() themselves
  bool discover_gpus = true;
};

class Server final : public Gateway {
 public:
  Server(boost::asio::io_context& io, Config config, TaskRunner& task_runner,
         std::shared_ptr<sandbox::Runner> sandboxes, ServerOptions options = {});
  ~Server() override;

  // Opens everything and starts serving (READY=1); nothing runs until the io_context does.
  base::Status start();
  void shutdown();  // as SIGTERM; a second call ends the drain at once
  void reload();    // as SIGHUP
  bool stopped() const { return stopped_; }
  uint16_t tcp_port() const;
  TaskManager& tasks() { return *tasks_; }
  std::string status_line() const;

  // Gateway
  bool draining() const override { return draining_; }
  std::string metrics_text() override;
  std::shared_ptr<const Tenant> authenticate(std::string_view token) const override;
  bool acquire_connection(const std::string& tenant) override;
  void release_connection(const std::string& tenant) override;
  const Limits& limits() const override { return config_.limits; }
  DaemonMetrics& metrics() override { return metrics_; }
  Dispatcher& dispatcher() override { return *dispatcher_; }
  uint64_t next_peer_id() override { return ++last_peer_id_; }
  void session_opened(uint64_t peer_id, std::weak_ptr<SessionControl> session) override;
  void session_closed(uint64_t peer_id) override;

 private:
  agents::PolicyLookup policies_for(const Tenant& tenant) const;
  void handle_signals();
  boost::asio::awaitable<void> drain();
  boost::asio::awaitable<void> reload_config();
  void prune_journal();
  base::Status open_journal();
  void sweep_leftovers();
  void sweep_cgroups() const;
  void sweep_workspaces();

  boost::asio::io_context& io_;
  Config config_;
  TaskRunner& task_runner_;
  std::shared_ptr<sandbox::Runner> sandboxes_;
  ServerOptions options_;
  DaemonMetrics metrics_;
  boost::asio::thread_pool blocking_{1};  // file work that must not run on the loop
  // Repository tasks' git work (checkouts, commits, test trees): seconds for a large repository,
  // so apart from blocking_; each task's own work takes turns (agents/runtime/task_repository.h).
  boost::asio::thread_pool git_{2};
  Notifier notifier_;
  std::unique_ptr<Journal> journal_;
  std::shared_ptr<const PolicyRegistry> policies_;
  std::shared_ptr<const TenantDirectory> tenants_;
  std::unique_ptr<TaskManager> tasks_;
  std::unique_ptr<ExecService> exec_;
  std::unique_ptr<InfoMethods> info_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Listeners> listeners_;
  base::UniqueFd workspace_lock_;  // flock held while this daemon uses workspace_root
  boost::asio::signal_set signals_;
  boost::asio::steady_timer prune_timer_;
  std::map<uint64_t, std::weak_ptr<SessionControl>> sessions_;
  std::map<std::string, uint32_t> connections_;  // per tenant
  uint64_t last_peer_id_ = 0;
  bool draining_ = false;
  bool drain_now_ = false;
  bool stopped_ = false;
};

}  // namespace agentd
