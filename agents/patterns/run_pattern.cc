#include "agents/patterns/pattern.h"
#include "agents/patterns/repository_tests.h"
#include "base/coroutine_warning.h"

namespace agents::patterns {

namespace {

AGENTD_COROUTINE_FRAMES_BEGIN

// spec.repository.setup_command in a new worktree, under its agent's policy (offline unless
// the policy allows network): it must exit 0, or the agent does not start.
boost::asio::awaitable<base::Status> run_setup_command(runtime::TaskContext& task,
                                                       const std::string& agent_id,
                                                       const policies::Compiled& policy,
                                                       const std::filesystem::path& dir) {
  auto result =
      co_await run_in_tree(task, policy, agent_id, dir, task.spec.repository->setup_command);
  if (!result) co_return base::Error{"setup_command: " + result.error().message};
  if (result->status == sandbox::RunStatus::ok && result->exit_code == 0) co_return base::Ok{};
  std::string why = "setup_command ended with status " +
                    std::string(sandbox::to_string(result->status)) + ", exit code " +
                    std::to_string(result->exit_code);
  const std::string& err = result->stderr_data;
  if (!err.empty()) why += ": " + err.substr(err.size() > 600 ? err.size() - 600 : 0);
  co_return base::Error{why};
}

AGENTD_COROUTINE_FRAMES_END

}  // namespace

boost::asio::awaitable<PatternResult> run_pattern(runtime::TaskContext& task) {
  if (task.spec.repository && !task.spec.repository->setup_command.empty())
    task.set_worktree_setup([&task](const std::string& agent_id, const policies::Compiled& policy,
                                    const std::filesystem::path& dir) {
      return run_setup_command(task, agent_id, policy, dir);
    });
  switch (task.spec.pattern) {
    case PatternKind::fan_out:
      return fan_out(task);
    case PatternKind::dag:
      return dag(task);
    case PatternKind::best_of_n:
      return best_of_n(task);
    case PatternKind::vote:
      return vote(task);
    case PatternKind::moa:
      return moa(task);
  }
  return fan_out(task);
}

}  // namespace agents::patterns
