// A TaskRunner for daemon tests: what a task does is read from its prompt, so tests drive
// the task manager and the server without LLMs or sandboxes. Words of the prompt:
//   emit N        emit N agent events (agent.started, N-2 tool.call, agent.finished), yielding
//                 to the loop between them
//   flood N B     emit N events with B bytes of data each, yielding between them
//   sleep MS      wait MS milliseconds (cancellable)
//   block         wait until cancelled
//   fail          end as failed
//   tokens N      report N prompt tokens in the result's usage
// A cancelled task ends `cancelled`; anything else ends `succeeded` with answer "done".
#pragma once

#include <atomic>

#include "daemon/task_runner.h"

namespace agentd::testing {

class ScriptedRunner final : public TaskRunner {
 public:
  base::Status check(const agents::TaskSpec& spec, const agents::PolicyLookup& policies) override;
  boost::asio::awaitable<agents::TaskResult> run(agents::TaskSpec spec, std::string task_id,
                                                 std::string tenant,
                                                 std::shared_ptr<agents::TaskControl> control,
                                                 agents::PolicyLookup policies,
                                                 agents::EventSink& events) override;

  std::atomic<int> started{0};
  std::atomic<int> finished{0};
};

// A valid spec (pattern vote, one voter role) whose prompt is `script`.
nlohmann::json spec_for(const std::string& script, const std::string& policy = "coder");

}  // namespace agentd::testing
