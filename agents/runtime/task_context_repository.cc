// TaskContext's part in repository tasks (task_repository.h): opening the repository at the
// task's start, each agent's worktree before its first turn, the commit after its last, and the
// git_diff tool's view. The git work runs on the blocking executor.
#include <boost/asio/this_coro.hpp>

#include "agents/runtime/task_context.h"
#include "base/coroutine_warning.h"

namespace agents::runtime {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxAgentDiffBytes = 256 << 10;

}  // namespace

AGENTD_COROUTINE_FRAMES_BEGIN

boost::asio::awaitable<base::Status> TaskContext::open_repository() {
  if (!spec.repository) co_return base::Ok{};
  if (env.workspace_root.empty())
    co_return base::Error{"repository: this daemon has no workspace root for worktrees"};
  auto task_dir = task_directory();
  if (!task_dir) co_return task_dir.error();
  auto opened =
      co_await blocking([&] { return TaskRepository::open(*spec.repository, *task_dir, task_id); });
  if (!opened) co_return opened.error();
  repository_ = std::move(*opened);
  emit("repository.opened", {},
       {{"base", repository_->base()},
        {"ref", spec.repository->ref},
        {"source", spec.repository->bundle.empty() ? "path" : "bundle"}});
  co_return base::Ok{};
}

boost::asio::awaitable<base::Status> TaskContext::prepare_worktree(
    const std::string& agent_id, const std::string& start, const policies::Compiled& policy) {
  if (!repository_ || made_workspaces_.count(agent_id)) co_return base::Ok{};
  auto task_dir = task_directory();
  if (!task_dir) co_return task_dir.error();
  const fs::path dir = *task_dir / agent_id;
  auto worktree =
      co_await blocking([&] { return repository_->add_worktree(agent_id, dir, start); });
  if (!worktree) co_return base::Error{"repository: " + worktree.error().message};
  made_workspaces_.insert(agent_id);
  emit("repository.worktree", agent_id,
       {{"branch", worktree->branch},
        {"base", worktree->base},
        {"files", repository_->worktree_mode()}});
  if (worktree_setup_) co_return co_await worktree_setup_(agent_id, policy, dir);
  co_return base::Ok{};
}

boost::asio::awaitable<std::optional<AgentBranch>> TaskContext::commit_worktree(
    const std::string& agent_id) {
  if (!repository_ || !repository_->worktree(agent_id)) co_return std::nullopt;
  auto committed = co_await blocking(
      [&] { return repository_->commit(agent_id, agent_id + ": changes for task " + task_id); });
  if (!committed) {
    emit("repository.commit_failed", agent_id, {{"error", committed.error().message}});
    co_return std::nullopt;
  }
  emit("repository.committed", agent_id,
       {{"branch", committed->branch},
        {"base", committed->base},
        {"head", committed->head},
        {"files", committed->files},
        {"too_large", committed->too_large}});
  co_return std::move(*committed);
}

boost::asio::awaitable<base::Expected<std::string>> TaskContext::agent_diff(
    const std::string& agent_id) {
  if (!repository_) co_return base::Error{"this task has no repository"};
  auto patch =
      co_await blocking([&] { return repository_->worktree_diff(agent_id, kMaxAgentDiffBytes); });
  if (!patch) co_return patch.error();
  if (patch->text.empty()) co_return std::string("no changes yet");
  if (patch->truncated)
    patch->text += "\n[diff cut at " + std::to_string(kMaxAgentDiffBytes) + " bytes; " +
                   std::to_string(patch->files.size()) + " files changed]";
  co_return std::move(patch->text);
}

AGENTD_COROUTINE_FRAMES_END

}  // namespace agents::runtime
