#include "agents/runtime/task_repository.h"

#include <system_error>

#include "repo/bundle.h"

namespace agents::runtime {

namespace fs = std::filesystem;

std::string worktree_name(const std::string& task_id, const std::string& agent_id) {
  return task_id + "-" + agent_id;
}

std::string branch_name(const std::string& task_id, const std::string& agent_id) {
  return "agentd/" + task_id + "/" + agent_id;
}

namespace {

base::Expected<repo::Repository> open_bundle(const std::string& bundle, const fs::path& task_dir) {
  const fs::path bare = task_dir / "repository.git";
  std::error_code error;
  if (!fs::exists(bare, error)) {
    auto imported = repo::import_bundle(bundle, bare);
    if (!imported) return imported.error();
  }
  return repo::Repository::open(bare);
}

}  // namespace

base::Expected<std::unique_ptr<TaskRepository>> TaskRepository::open(const RepositorySpec& spec,
                                                                     const fs::path& task_dir,
                                                                     std::string task_id) {
  auto repository =
      spec.bundle.empty() ? repo::Repository::open(spec.path) : open_bundle(spec.bundle, task_dir);
  if (!repository) return base::Error{"repository: " + repository.error().message};
  auto base = repository->resolve(spec.ref);
  if (!base) return base::Error{"repository: " + base.error().message};
  return std::unique_ptr<TaskRepository>(
      new TaskRepository(std::move(*repository), std::move(*base), std::move(task_id)));
}

std::string TaskRepository::branch_name(const std::string& agent_id) const {
  return runtime::branch_name(task_id_, agent_id);
}

base::Expected<repo::Worktree> TaskRepository::add_worktree(const std::string& agent_id,
                                                            const fs::path& dir,
                                                            const std::string& start) {
  std::lock_guard lock(mutex_);
  if (auto it = worktrees_.find(agent_id); it != worktrees_.end()) return it->second;
  auto added = repository_.add_worktree(worktree_name(task_id_, agent_id), branch_name(agent_id),
                                        start.empty() ? base_ : start, dir);
  if (!added) return added.error();
  worktrees_.emplace(agent_id, *added);
  return added;
}

base::Expected<AgentBranch> TaskRepository::commit(const std::string& agent_id,
                                                   const std::string& message) {
  std::lock_guard lock(mutex_);
  auto it = worktrees_.find(agent_id);
  if (it == worktrees_.end()) return base::Error{"agent " + agent_id + " has no worktree"};
  const repo::Worktree& worktree = it->second;
  const repo::Signature author{agent_id + " (agentd task " + task_id_ + ")",
                               agent_id + "@agentd.invalid"};
  auto head = repository_.commit_all(worktree, author, message);
  if (!head) return head.error();
  auto patch = repository_.diff(worktree.base, *head, 0);
  if (!patch) return patch.error();
  AgentBranch branch{agent_id, worktree.branch, worktree.base, *head, std::move(patch->files)};
  branches_[agent_id] = branch;
  return branch;
}

base::Expected<repo::Patch> TaskRepository::worktree_diff(const std::string& agent_id,
                                                          size_t max_bytes) {
  std::lock_guard lock(mutex_);
  auto it = worktrees_.find(agent_id);
  if (it == worktrees_.end())
    return base::Error{"no worktree yet: it is made when the agent first uses a tool"};
  return repository_.diff_worktree(it->second, max_bytes);
}

base::Expected<repo::Patch> TaskRepository::diff(const std::string& from, const std::string& to,
                                                 size_t max_bytes) {
  std::lock_guard lock(mutex_);
  return repository_.diff(from, to, max_bytes);
}

std::optional<repo::Worktree> TaskRepository::worktree(const std::string& agent_id) const {
  std::lock_guard lock(mutex_);
  auto it = worktrees_.find(agent_id);
  if (it == worktrees_.end()) return std::nullopt;
  return it->second;
}

std::optional<AgentBranch> TaskRepository::branch(const std::string& agent_id) const {
  std::lock_guard lock(mutex_);
  auto it = branches_.find(agent_id);
  if (it == branches_.end()) return std::nullopt;
  return it->second;
}

}  // namespace agents::runtime
