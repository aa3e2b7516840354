// agents::runtime::TaskRepository: the repository a task works on (spec.repository,
// docs/repositories.md) and what its agents did there. The daemon's configuration allowed the
// host path (daemon/task_manager.cc) before the task ever ran; a bundle is imported into a bare
// repository inside the task's directory. Each agent that needs a workspace gets its own branch
// agentd/<task>/<agent> checked out in its own worktree; when it ends, what it changed is
// committed there. Only the daemon writes history: the sandboxes see the worktree's files and
// never the repository's .git.
//
// Every call blocks (libgit2 reads and writes files) and takes the repository's lock, so the
// task calls them from its blocking executor (TaskContext::blocking) and any thread is safe.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agents/task_spec.h"
#include "base/expected.h"
#include "repo/overlay.h"
#include "repo/repository.h"

namespace agents::runtime {

// An agent's branch after its agent ended.
struct AgentBranch {
  std::string agent_id;
  std::string branch;              // agentd/<task>/<agent>
  std::string base;                // the commit it started at
  std::string head;                // after the daemon committed the agent's changes (== base: none)
  std::vector<std::string> files;  // changed against base
  std::vector<std::string> too_large;  // left out of the commit (repo::kMaxCommittedFileBytes)
};

class TaskRepository {
 public:
  // Opens the repository at spec.path, or imports spec.bundle into <task_dir>/repository.git
  // (made on the first call; a resumed task reuses it); resolves spec.ref. Without `overlays`,
  // every worktree is a full checkout (as where mounting is refused).
  static base::Expected<std::unique_ptr<TaskRepository>> open(const RepositorySpec& spec,
                                                              const std::filesystem::path& task_dir,
                                                              std::string task_id,
                                                              bool overlays = true);
  // Forgets what a repository task left in its repository (its worktrees, and its branches but
  // the one its result named, unless the spec said not to keep it): what the task's manifest
  // (<task_dir>/repository.json, kept up to date by the calls below) lists. The caller removes
  // task_dir afterwards. Nothing to do for a task without a manifest.
  static base::Status prune(const std::filesystem::path& task_dir);

  const std::string& base() const { return base_; }
  const std::string& task_id() const { return task_id_; }
  std::string branch_name(const std::string& agent_id) const;

  // The agent's branch at `start` (empty: base) checked out at `dir`, or the one it has.
  base::Expected<repo::Worktree> add_worktree(const std::string& agent_id,
                                              const std::filesystem::path& dir,
                                              const std::string& start);
  // Commits what the agent changed in its worktree (author: the agent).
  base::Expected<AgentBranch> commit(const std::string& agent_id, const std::string& message);
  // What the agent changed so far, against the commit its branch started at.
  base::Expected<repo::Patch> worktree_diff(const std::string& agent_id, size_t max_bytes);
  base::Expected<repo::Patch> diff(const std::string& from, const std::string& to,
                                   size_t max_bytes);

  // The branch the task's result names: kept when the task is pruned (if the spec says so).
  base::Status keep(const std::string& branch);

  std::optional<repo::Worktree> worktree(const std::string& agent_id) const;
  // How worktrees get their files: "overlay" (of one shared checkout of the base, for agents
  // starting there, where the daemon may mount) or "checkout" (each its own full checkout).
  std::string worktree_mode() const;
  std::optional<AgentBranch> branch(const std::string& agent_id) const;

  // `work` with the repository, under its lock (for the repo module's other operations).
  template <class Work>
  auto locked(Work work) {
    std::lock_guard lock(mutex_);
    return work(repository_);
  }

 private:
  TaskRepository(repo::Repository repository, std::string base, std::string task_id,
                 std::filesystem::path repository_path, std::filesystem::path task_dir,
                 bool keep_result)
      : repository_(std::move(repository)),
        base_(std::move(base)),
        task_id_(std::move(task_id)),
        repository_path_(std::move(repository_path)),
        task_dir_(std::move(task_dir)),
        keep_result_(keep_result) {}
  base::Status write_manifest() const;  // under the lock
  // The base's files as an overlay at `dir` (the worktree's .git file kept); under the lock.
  base::Status overlay_base(const std::string& agent_id, const std::filesystem::path& dir);

  mutable std::mutex mutex_;
  repo::Repository repository_;
  const std::string base_;
  const std::string task_id_;
  std::map<std::string, repo::Worktree> worktrees_;  // by agent id
  std::map<std::string, AgentBranch> branches_;      // agents that ended, by agent id
  const std::filesystem::path repository_path_;
  const std::filesystem::path task_dir_;
  const bool keep_result_;
  std::string kept_;               // the result's branch
  bool overlays_refused_ = false;  // mounting failed once: full checkouts from then on
  std::optional<std::filesystem::path> base_files_;  // the shared checkout, made on first use
  std::vector<repo::OverlayMount> overlays_;         // unmounted when the task ends
};

// The worktree name and branch of `agent_id` in task `task_id` ("t-1f2e-coder-1",
// "agentd/t-1f2e/coder-1"): what TaskRepository makes and what pruning removes.
std::string worktree_name(const std::string& task_id, const std::string& agent_id);
std::string branch_name(const std::string& task_id, const std::string& agent_id);

}  // namespace agents::runtime
