// exec.run: code run straight in a sandbox under one of the tenant's policies, no LLM (like a
// code interpreter API). The policy's run_code scope decides the languages; the program
// travels as an argument (agents::runtime::run_code_spec), input files are written into a
// fresh workspace directory (removed afterwards) with the workspace tools' openat2 guards.
// Blocking file work runs on the daemon's small blocking pool, never on the loop.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>

#include "agents/task.h"
#include "daemon/daemon_metrics.h"
#include "daemon/reply.h"
#include "daemon/tenant_usage.h"
#include "daemon/tenants.h"

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

  boost::asio::awaitable<Reply> run(Tenant tenant, nlohmann::json params);

 private:
  boost::asio::any_io_executor loop_;
  boost::asio::any_io_executor blocking_;
  std::shared_ptr<sandbox::Runner> runner_;
  std::string workspace_root_;
  std::function<agents::PolicyLookup(const Tenant&)> policies_;
  TenantUsage& usage_;
  DaemonMetrics& metrics_;
};

}  // namespace agentd
