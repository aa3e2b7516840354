#include "agents/runtime/task_repository.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

#include "agents/tools/workspace_dir.h"
#include "repo/bundle.h"
#include "repo/task_refs.h"
#include "repo/test_tree.h"

namespace agents::runtime {

namespace fs = std::filesystem;

std::string worktree_name(const std::string& task_id, const std::string& agent_id) {
  return task_id + "-" + agent_id;
}

std::string branch_name(const std::string& task_id, const std::string& agent_id) {
  return "agentd/" + task_id + "/" + agent_id;
}

namespace {

constexpr const char* kManifest = "repository.json";

base::Expected<repo::Repository> open_bundle(const std::string& bundle, const fs::path& bare) {
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
                                                                     std::string task_id,
                                                                     bool overlays) {
  const fs::path path = spec.bundle.empty() ? fs::path(spec.path) : task_dir / "repository.git";
  auto repository =
      spec.bundle.empty() ? repo::Repository::open(path) : open_bundle(spec.bundle, path);
  if (!repository) return base::Error{"repository: " + repository.error().message};
  auto base = repository->resolve(spec.ref);
  if (!base) return base::Error{"repository: " + base.error().message};
  std::unique_ptr<TaskRepository> opened(new TaskRepository(std::move(*repository),
                                                            std::move(*base), std::move(task_id),
                                                            path, task_dir, spec.keep_branch));
  opened->overlays_refused_ = !overlays;
  // A daemon that died while this task changed the repository left its locks; and pruning
  // needs the repository's path even if no worktree is ever made.
  if (auto released = repo::release_stale_locks(opened->repository_, opened->task_id_ + "-",
                                                "agentd/" + opened->task_id_ + "/");
      !released)
    return released.error();
  if (auto written = opened->write_manifest(); !written) return written.error();
  return opened;
}

base::Status TaskRepository::write_manifest() const {
  nlohmann::json worktrees = nlohmann::json::array();
  for (const auto& [agent_id, worktree] : worktrees_)
    worktrees.push_back({{"name", worktree.name}, {"branch", worktree.branch}});
  const nlohmann::json manifest = {{"repository", repository_path_.string()},
                                   {"task", task_id_},
                                   {"worktrees", std::move(worktrees)},
                                   {"keep", kept_}};
  const fs::path file = task_dir_ / kManifest, temp = task_dir_ / (std::string(kManifest) + ".new");
  {
    std::ofstream out(temp, std::ios::trunc);
    out << manifest.dump();
    if (!out.flush()) return base::Error{"writing " + temp.string()};
  }
  std::error_code error;
  fs::rename(temp, file, error);
  if (error) return base::Error{"writing " + file.string() + ": " + error.message()};
  return base::Ok{};
}

base::Status TaskRepository::keep(const std::string& branch) {
  std::lock_guard lock(mutex_);
  if (!keep_result_) return base::Ok{};
  kept_ = branch;
  return write_manifest();
}

base::Status TaskRepository::prune(const fs::path& task_dir) {
  std::ifstream in(task_dir / kManifest);
  if (!in) return base::Ok{};
  const nlohmann::json manifest = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!manifest.is_object() || !manifest.value("repository", nlohmann::json()).is_string())
    return base::Error{"prune: " + (task_dir / kManifest).string() + " is not a manifest"};
  const fs::path path = manifest["repository"].get<std::string>();
  if (path.parent_path() == task_dir) return base::Ok{};  // a bundle's: goes with the directory
  auto repository = repo::Repository::open(path);
  if (!repository) return repository.error();
  // By name, not by the manifest's list: a crash between making a branch and recording it
  // leaves nothing behind either.
  const std::string task_id = manifest.value("task", "");
  if (task_id.empty() || task_id.find('/') != std::string::npos)
    return base::Error{"prune: " + (task_dir / kManifest).string() + " names no task"};
  return repo::forget_task(*repository, task_id + "-", "agentd/" + task_id + "/",
                           manifest.value("keep", ""));
}

std::string TaskRepository::branch_name(const std::string& agent_id) const {
  return runtime::branch_name(task_id_, agent_id);
}

base::Expected<repo::Worktree> TaskRepository::add_worktree(const std::string& agent_id,
                                                            const fs::path& dir,
                                                            const std::string& start) {
  std::lock_guard lock(mutex_);
  if (auto it = worktrees_.find(agent_id); it != worktrees_.end()) return it->second;
  const repo::Worktree name{worktree_name(task_id_, agent_id), branch_name(agent_id), "", dir};
  // A resumed task's agent starts over: what it had before a restart (or a crash halfway
  // through adding it) goes first.
  if (auto removed = repository_.remove_worktree(name, /*keep_branch=*/false); !removed)
    return removed.error();
  std::error_code error;
  if (fs::exists(dir, error))
    if (auto removed = tools::remove_tree(dir); !removed) return removed.error();
  const std::string commit = start.empty() ? base_ : start;
  base::Expected<repo::Worktree> added = base::Error{"not added"};
  if (commit == base_ && !overlays_refused_) {
    added = repository_.add_worktree(name.name, name.branch, commit, dir, [&](const fs::path& at) {
      return overlay_base(agent_id, at);
    });
    // EPERM: no CAP_SYS_ADMIN (the systemd unit gives none); ENODEV: no overlayfs.
    if (!added && overlays_refused_)
      if (auto removed = tools::remove_tree(dir); !removed) return removed.error();
  }
  if (!added) added = repository_.add_worktree(name.name, name.branch, commit, dir);
  if (!added) return added.error();
  worktrees_.emplace(agent_id, *added);
  if (auto written = write_manifest(); !written) return written.error();
  return added;
}

base::Status TaskRepository::overlay_base(const std::string& agent_id, const fs::path& dir) {
  if (!base_files_) {
    const fs::path files = task_dir_ / ".base";
    if (fs::exists(files))
      if (auto removed = tools::remove_tree(files); !removed) return removed.error();
    auto made = repo::make_test_tree(
        repository_, base_, base_, [](std::string_view) { return false; }, {}, files);
    if (!made) return made.error();
    base_files_ = files;
  }
  const fs::path layers = task_dir_ / ".overlays" / agent_id;
  const fs::path upper = layers / "upper", work = layers / "work";
  std::error_code error;
  if (fs::exists(layers, error))
    if (auto removed = tools::remove_tree(layers); !removed) return removed.error();
  fs::create_directories(upper, error);
  if (!error) fs::create_directory(work, error);
  // The merged root's mode is the upper directory's: writable by every sandbox.
  if (!error) fs::permissions(upper, fs::perms::all, error);
  if (!error) fs::rename(dir / ".git", upper / ".git", error);
  if (error) return base::Error{"overlay layers " + layers.string() + ": " + error.message()};
  auto mounted = repo::OverlayMount::mount(*base_files_, upper, work, dir);
  if (!mounted) {
    fs::rename(upper / ".git", dir / ".git", error);
    overlays_refused_ = true;
    // Every worktree is a full checkout from now on: the shared one would only take disk.
    if (overlays_.empty()) {
      [[maybe_unused]] auto removed = tools::remove_tree(*base_files_);
      base_files_.reset();
    }
    return mounted.error();
  }
  overlays_.push_back(std::move(*mounted));
  return base::Ok{};
}

std::string TaskRepository::worktree_mode() const {
  std::lock_guard lock(mutex_);
  return overlays_refused_ ? "checkout" : "overlay";
}

base::Expected<AgentBranch> TaskRepository::commit(const std::string& agent_id,
                                                   const std::string& message) {
  std::lock_guard lock(mutex_);
  auto it = worktrees_.find(agent_id);
  if (it == worktrees_.end()) return base::Error{"agent " + agent_id + " has no worktree"};
  const repo::Worktree& worktree = it->second;
  const repo::Signature author{agent_id + " (agentd task " + task_id_ + ")",
                               agent_id + "@agentd.invalid"};
  std::vector<std::string> too_large;
  auto head = repository_.commit_all(worktree, author, message, &too_large);
  if (!head) return head.error();
  auto patch = repository_.diff(worktree.base, *head, 0);
  if (!patch) return patch.error();
  AgentBranch branch{agent_id, worktree.branch,         worktree.base,
                     *head,    std::move(patch->files), std::move(too_large)};
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
