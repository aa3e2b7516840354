#include "daemon/agents_task_runner.h"

namespace agentd {

namespace {

class NoEvents final : public agents::EventSink {
 public:
  void emit(agents::Event) override {}
};

}  // namespace

AgentsTaskRunner::AgentsTaskRunner(boost::asio::any_io_executor executor, agents::llm::Client& llm,
                                   sandbox::Runner& sandboxes, agents::http::Client& http,
                                   std::filesystem::path workspace_root)
    : executor_(std::move(executor)),
      llm_(llm),
      sandboxes_(sandboxes),
      http_(http),
      workspace_root_(std::move(workspace_root)) {}

base::Status AgentsTaskRunner::check(const agents::TaskSpec& spec,
                                     const agents::PolicyLookup& policies) {
  NoEvents no_events;
  agents::TaskEnvironment env{executor_, llm_,      sandboxes_,      http_,
                              policies,  no_events, workspace_root_, {}};
  return agents::check_task_spec(spec, env);
}

boost::asio::awaitable<agents::TaskResult> AgentsTaskRunner::run(
    agents::TaskSpec spec, std::string task_id, std::string tenant,
    std::shared_ptr<agents::TaskControl> control, agents::PolicyLookup policies,
    agents::EventSink& events) {
  agents::TaskEnvironment env{executor_,           llm_,   sandboxes_,      http_,
                              std::move(policies), events, workspace_root_, {}};
  env.gpus = gpus_.get();
  env.tenant = std::move(tenant);
  env.blocking = blocking_;
  co_return co_await agents::run_task(env, std::move(spec), std::move(task_id), std::move(control));
}

}  // namespace agentd
