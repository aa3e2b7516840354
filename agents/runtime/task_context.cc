#include "agents/runtime/task_context.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "agents/tools/workspace.h"
#include "agents/tools/workspace_dir.h"
#include "policies/compile.h"

namespace agents::runtime {

namespace fs = std::filesystem;

TaskContext::TaskContext(TaskEnvironment& environment, const TaskSpec& task_spec, std::string id)
    : env(environment), spec(task_spec), task_id(std::move(id)), budget_(task_spec.budgets) {
  for (const SharedResourceSpec& resource : spec.shared_resources) {
    tokens_[resource.name] = std::make_unique<TokenQueue>(
        env.executor, resource.name,
        [this](const std::string& type, const std::string& agent_id, nlohmann::json data) {
          emit(type, agent_id, std::move(data));
        });
  }
}

void TaskContext::emit(std::string type, std::string agent_id, nlohmann::json data) {
  forward(Event{std::move(type), task_id, std::move(agent_id), std::chrono::system_clock::now(),
                std::move(data)});
}

void TaskContext::forward(Event event) {
  std::string line = event.agent_id.empty() ? event.type : event.agent_id + " " + event.type;
  if (auto tool = event.data.find("tool"); tool != event.data.end() && tool->is_string())
    line += " " + tool->get<std::string>();
  digest_.push_back(std::move(line));
  ++digest_end_;
  if (digest_.size() > kDigestLines) digest_.pop_front();
  env.events.emit(std::move(event));
}

std::vector<std::string> TaskContext::digest_since(uint64_t& cursor) const {
  const uint64_t first = digest_end_ - digest_.size();
  std::vector<std::string> lines;
  for (uint64_t seq = std::max(cursor, first); seq < digest_end_; ++seq)
    lines.push_back(digest_[seq - first]);
  cursor = digest_end_;
  return lines;
}

void TaskContext::charge(const llm::Usage& usage) {
  if (budget_.charge(usage)) {
    emit("budget.exhausted", {},
         {{"budget", budget_.exhausted()},
          {"tokens", budget_.used().total_tokens()},
          {"cost_usd", budget_.used().cost_usd}});
    cancel_all();
  }
}

void TaskContext::exhaust(const std::string& which) {
  if (budget_.exhaust(which)) {
    emit("budget.exhausted", {}, {{"budget", which}});
    cancel_all();
  }
}

void TaskContext::drop(const std::string& agent_id, const std::string& reason) {
  dropped_.push_back({agent_id, reason});
  emit("result.dropped", agent_id, {{"reason", reason}});
}

void TaskContext::cancel_all() {
  cancel_requested_ = true;
  if (root_) root_->cancel();
}

std::string TaskContext::new_agent_id(const std::string& role) {
  return role + "-" + std::to_string(++agent_counts_[role]);
}

const RoleSpec* TaskContext::role(const std::string& name) const {
  auto it = spec.roles.find(name);
  return it == spec.roles.end() ? nullptr : &it->second;
}

std::shared_ptr<const policies::Compiled> TaskContext::policy_for_role(const std::string& name) {
  if (auto it = policies_.find(name); it != policies_.end()) return it->second;
  const RoleSpec* r = role(name);
  auto compiled = r && env.policies ? env.policies(r->policy) : nullptr;
  policies_[name] = compiled;
  return compiled;
}

namespace {

base::Status make_directory(const fs::path& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    return base::Error{"mkdir " + path.string() + ": " + std::strerror(errno)};
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return base::Error{"workspace " + path.string() + ": expected a directory"};
  // chmod, because the process umask may have narrowed the mode.
  if (::chmod(path.c_str(), mode) != 0)
    return base::Error{"chmod " + path.string() + ": " + std::strerror(errno)};
  return base::Ok{};
}

}  // namespace

base::Expected<fs::path> TaskContext::task_directory() {
  const fs::path dir = env.workspace_root / task_id;
  // Traversable but not listable: each sandbox runs as its own host uid and must reach its
  // bound workspace; no one else needs to read the task's directory.
  if (auto s = make_directory(dir, 0711); !s) return s.error();
  return dir;
}

fs::path TaskContext::workspace_path(const std::string& agent_id) const {
  return env.workspace_root.empty() ? fs::path() : env.workspace_root / task_id / agent_id;
}

base::Expected<fs::path> TaskContext::make_workspace(const std::string& agent_id) {
  if (env.workspace_root.empty()) return fs::path();
  // Once: the input files must not overwrite what the agent changed since.
  if (made_workspaces_.count(agent_id)) return workspace_path(agent_id);
  if (repository_)  // its worktree is made before its first turn (prepare_worktree)
    return base::Error{"agent " + agent_id + " has no worktree"};
  auto task_dir = task_directory();
  if (!task_dir) return task_dir.error();
  const fs::path dir = *task_dir / agent_id;
  // Writable by every sandbox of this agent: each run gets a different host uid. Owned until
  // its input files are in: a failure leaves no half-made workspace for the next call.
  std::optional<tools::WorkspaceDir> fresh;
  if (auto made = tools::WorkspaceDir::make(dir, 0777))
    fresh = std::move(*made);
  else if (made.error().sys_errno != EEXIST)
    return made.error();
  else if (auto s = make_directory(dir, 0777); !s)  // a resumed task's: kept as its agent left it
    return s.error();
  if (auto written = write_input_files(dir); !written) return written.error();
  made_workspaces_.insert(agent_id);
  if (fresh) fresh->release();  // kept after the task, until the daemon prunes the task
  return dir;
}

base::Status TaskContext::write_input_files(const fs::path& dir) const {
  if (spec.input_files.empty()) return base::Ok{};
  auto workspace = tools::Workspace::open(dir.string());
  if (!workspace) return workspace.error();
  for (const InputFile& file : spec.input_files)
    if (auto s = workspace->write_file(file.path, file.content); !s)
      return base::Error{"input file: " + s.error().message};
  return base::Ok{};
}

TokenQueue* TaskContext::token(const std::string& resource) {
  auto it = tokens_.find(resource);
  return it == tokens_.end() ? nullptr : it->second.get();
}

base::Expected<fs::path> TaskContext::shared_directory(const std::string& resource) {
  if (env.workspace_root.empty())
    return base::Error{"shared resource \"" + resource + "\": no workspace root configured"};
  auto task_dir = task_directory();
  if (!task_dir) return task_dir.error();
  if (auto s = make_directory(*task_dir / "shared", 0711); !s) return s.error();
  const fs::path dir = *task_dir / "shared" / resource;
  if (auto s = make_directory(dir, 0777); !s) return s.error();
  return dir;
}

}  // namespace agents::runtime
