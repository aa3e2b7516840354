// exec.run: code run straight in a sandbox under one of the tenant's policies, no LLM (like a
// code interpreter API). The policy's run_code scope decides the languages; the program
// travels as an argument, in the Spec run_code's sandboxes get too (agents/runtime/
// sandbox_spec.h); input files are written into a fresh workspace directory, owned for the run
// and removed after it (agents::tools::WorkspaceDir), with the workspace tools' openat2 guards.
// Blocking file work runs on the daemon's small blocking pool, never on the loop. A policy
// that grants GPUs gets them as run_code does: leased (in the tenant's name, each run its own
// task for fairness) before the sandbox starts and given back when it exits; a policy without
// sees none of the host's. A run belongs to the connection that asked for it: when that
// connection closes, its sandboxes are killed (cancel_peer).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agents/runtime/gpu_provider.h"
#include "agents/task.h"
#include "agents/tools/workspace_dir.h"
#include "base/expected.h"
#include "daemon/daemon_metrics.h"
#include "daemon/gpu_grants.h"
#include "daemon/reply.h"
#include "daemon/tenant_usage.h"
#include "daemon/tenants.h"
#include "sandbox/result.h"

namespace sandbox {
class Runner;
}

namespace agentd {

class ExecService {
 public:
  // `runner` may be null (a daemon without sandboxes answers exec.run with an error).
  ExecService(boost::asio::any_io_executor loop, boost::asio::any_io_executor blocking,
              std::shared_ptr<sandbox::Runner> runner, std::string workspace_root,
              std::function<agents::PolicyLookup(const Tenant&)> policies, TenantUsage& usage,
              DaemonMetrics& metrics);

  // `peer`: the connection asking (WsSession's peer id); cancel_peer(peer) ends its runs.
  boost::asio::awaitable<Reply> run(Tenant tenant, nlohmann::json params, uint64_t peer);
  // The connection closed: its runs' sandboxes are killed, and runs still waiting for their
  // GPUs or workspace never start one.
  void cancel_peer(uint64_t peer);
  // Runs admitted and not yet answered: the drain waits for none before it stops the loop.
  size_t runs_in_flight() const { return *in_flight_; }

  // The GPUs that policies granting some get (the server sets them at start when it found
  // any). Without: exec.run under such a policy fails saying the daemon has no GPUs.
  void set_gpus(std::shared_ptr<GpuGrants> gpus) { gpus_ = std::move(gpus); }

  struct Request;  // exec.run's params, read

 private:
  struct Running {
    boost::asio::cancellation_signal cancel;
    bool cancelled = false;
  };
  // The run of a request the tenant's sandbox quota admitted.
  boost::asio::awaitable<Reply> run_admitted(std::string tenant, Request request,
                                             std::shared_ptr<const policies::Compiled> policy,
                                             uint64_t peer);
  // The GPUs `grant` gives one run (none when it grants none), or why none were granted.
  boost::asio::awaitable<base::Expected<agents::runtime::GpuHold>> lease_gpus(
      std::string tenant, policies::GpuScope grant);
  boost::asio::awaitable<base::Expected<std::optional<agents::tools::WorkspaceDir>>>
  make_workspace_for(const Request& request);
  boost::asio::awaitable<void> discard(std::optional<agents::tools::WorkspaceDir> workspace);
  boost::asio::awaitable<base::Expected<sandbox::Result>> run_sandbox(
      const policies::Compiled& policy, const Request& request, const std::string& workspace,
      const agents::runtime::GpuHold& gpus, Running& running);
  boost::asio::awaitable<base::Expected<sandbox::Result>> run_with_files(
      const policies::Compiled& policy, const Request& request, agents::runtime::GpuHold& gpus,
      Running& running);
  Reply reply_for(const base::Expected<sandbox::Result>& ran, const Running& running);
  uint64_t gpu_count() const;

  boost::asio::any_io_executor loop_;
  boost::asio::any_io_executor blocking_;
  std::shared_ptr<sandbox::Runner> runner_;
  std::string workspace_root_;
  std::function<agents::PolicyLookup(const Tenant&)> policies_;
  TenantUsage& usage_;
  DaemonMetrics& metrics_;
  std::shared_ptr<GpuGrants> gpus_;
  void track(uint64_t peer, const std::shared_ptr<Running>& running);

  std::multimap<uint64_t, std::weak_ptr<Running>> running_;  // by peer
  // Shared with each run's frame, which may outlive this service (see track()).
  std::shared_ptr<size_t> in_flight_ = std::make_shared<size_t>(0);
};

}  // namespace agentd
