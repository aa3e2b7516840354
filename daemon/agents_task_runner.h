// The daemon's TaskRunner: agents::run_task with the daemon's LLM client, sandbox runner,
// HTTP client, workspace root and, where the machine has them, GPUs.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <filesystem>
#include <memory>

#include "agents/http/curl_multi.h"
#include "agents/llm/client.h"
#include "agents/runtime/gpu_provider.h"
#include "daemon/task_runner.h"
#include "sandbox/runner.h"

namespace agentd {

class AgentsTaskRunner final : public TaskRunner {
 public:
  AgentsTaskRunner(boost::asio::any_io_executor executor, agents::llm::Client& llm,
                   sandbox::Runner& sandboxes, agents::http::Client& http,
                   std::filesystem::path workspace_root);

  base::Status check(const agents::TaskSpec& spec, const agents::PolicyLookup& policies) override;
  boost::asio::awaitable<agents::TaskResult> run(agents::TaskSpec spec, std::string task_id,
                                                 std::string tenant,
                                                 std::shared_ptr<agents::TaskControl> control,
                                                 agents::PolicyLookup policies,
                                                 agents::EventSink& events) override;

  // The GPUs that policies granting some get (the server sets them at start when it found
  // any); tasks started afterwards use them. Without: such policies' run_code fails.
  void set_gpus(std::shared_ptr<agents::runtime::GpuProvider> gpus) { gpus_ = std::move(gpus); }
  // Where tasks' blocking git work runs (agents::TaskEnvironment::blocking).
  void set_blocking(boost::asio::any_io_executor blocking) { blocking_ = std::move(blocking); }

 private:
  boost::asio::any_io_executor executor_;
  agents::llm::Client& llm_;
  sandbox::Runner& sandboxes_;
  agents::http::Client& http_;
  std::filesystem::path workspace_root_;
  std::shared_ptr<agents::runtime::GpuProvider> gpus_;
  boost::asio::any_io_executor blocking_;
};

}  // namespace agentd
