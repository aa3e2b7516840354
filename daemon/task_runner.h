// How the task manager runs a task: agents::run_task in the daemon (agents_task_runner.h),
// scripted runners in tests. The runner emits the task's events through the EventSink it was
// given; the task manager numbers, journals and fans them out.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "agents/task.h"
#include "base/expected.h"

namespace agentd {

class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  // What parsing cannot check: the roles' models and policies exist (`policies` is the
  // submitting tenant's view).
  virtual base::Status check(const agents::TaskSpec& spec,
                             const agents::PolicyLookup& policies) = 0;
  // Runs the task to its end, its events going to `events`. Cancelling the awaiting coroutine
  // (terminal) cancels the task. `tenant` is the submitting tenant's name: shared resources
  // that are scheduled fairly across tenants (GPU leases) are asked for in its name.
  virtual boost::asio::awaitable<agents::TaskResult> run(
      agents::TaskSpec spec, std::string task_id, std::string tenant,
      std::shared_ptr<agents::TaskControl> control, agents::PolicyLookup policies,
      agents::EventSink& events) = 0;
};

}  // namespace agentd
