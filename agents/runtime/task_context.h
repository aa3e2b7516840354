// agents::runtime::TaskContext: what every agent and pattern of one task shares: the
// environment, the spec, event emission, the task budget, feedback, validation drops, shared
// resources with their tokens, per-agent workspaces, and the root of the task's cancellation
// (a Nursery that every branch descends from).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "agents/runtime/budget.h"
#include "agents/runtime/feedback.h"
#include "agents/runtime/nursery.h"
#include "agents/runtime/task_repository.h"
#include "agents/runtime/token_queue.h"
#include "agents/task.h"
#include "base/expected.h"

namespace agents::runtime {

class TaskContext {
 public:
  TaskContext(TaskEnvironment& env, const TaskSpec& spec, std::string task_id);
  TaskContext(const TaskContext&) = delete;
  TaskContext& operator=(const TaskContext&) = delete;

  TaskEnvironment& env;
  const TaskSpec& spec;
  const std::string task_id;

  void emit(std::string type, std::string agent_id = {},
            nlohmann::json data = nlohmann::json::object());
  // A sink for others' events of this task (the LLM client's llm.request, llm.retry,
  // llm.usage): they reach the environment's sink and the monitor's digest alike.
  EventSink& sink() { return forwarding_sink_; }
  // Short lines ("worker-3 tool.call run_code") of the events after `cursor`, which moves on;
  // the monitor reads them. Only the most recent kDigestLines are kept.
  static constexpr size_t kDigestLines = 256;
  std::vector<std::string> digest_since(uint64_t& cursor) const;

  // Charges a response's usage to the task; when a budget is crossed the task is cancelled.
  void charge(const llm::Usage& usage);
  // Ends the task for `budget` ("wall_time"): cancels everything.
  void exhaust(const std::string& budget);
  const TaskBudget& budget() const { return budget_; }

  FeedbackBox& feedback() { return feedback_; }

  // A result validation refused; reported in the TaskResult and as result.dropped.
  void drop(const std::string& agent_id, const std::string& reason);
  const std::vector<DroppedResult>& dropped() const { return dropped_; }

  // The task's root scope: cancel_all() cancels every branch (budget, task.cancel).
  void set_root(Nursery* root) { root_ = root; }
  void cancel_all();
  bool cancel_requested() const { return cancel_requested_; }

  // "worker-1", "worker-2", ...: unique within the task.
  std::string new_agent_id(const std::string& role);
  // The compiled policy of a role (looked up once), or null when unknown.
  std::shared_ptr<const policies::Compiled> policy_for_role(const std::string& role);
  const RoleSpec* role(const std::string& name) const;

  // <workspace_root>/<task_id>/<agent_id>, not created; empty when the environment has no
  // workspace root (run_code then gets a fresh tmpfs).
  std::filesystem::path workspace_path(const std::string& agent_id) const;
  // The same, created with the task's input files in it on the first call (when the agent first
  // uses a tool that needs it: most agents never do, and a directory per agent costs the loop
  // an ext4 inode allocation); later calls return it as it is.
  base::Expected<std::filesystem::path> make_workspace(const std::string& agent_id);
  // The shared resource's token and directory, or null when the task has none by that name.
  TokenQueue* token(const std::string& resource);
  base::Expected<std::filesystem::path> shared_directory(const std::string& resource);

  // The task's repository (spec.repository), opened by open_repository at the task's start;
  // null for a task without one (task_context_repository.cc).
  boost::asio::awaitable<base::Status> open_repository();
  TaskRepository* repository() { return repository_.get(); }
  // An agent's worktree as its workspace, on its own branch from `start` (empty: the base),
  // then the worktree setup (below) under the agent's `policy`: before its first turn. A no-op
  // for a task without a repository.
  boost::asio::awaitable<base::Status> prepare_worktree(const std::string& agent_id,
                                                        const std::string& start,
                                                        const policies::Compiled& policy);
  // What runs in each new worktree before its agent starts (the patterns run
  // spec.repository.setup_command in a sandbox); an error ends that agent with it.
  using WorktreeSetup = std::function<boost::asio::awaitable<base::Status>(
      const std::string& agent_id, const policies::Compiled& policy,
      const std::filesystem::path& dir)>;
  void set_worktree_setup(WorktreeSetup setup) { worktree_setup_ = std::move(setup); }
  // Commits what the agent changed (a repository.committed event); null without a worktree.
  boost::asio::awaitable<std::optional<AgentBranch>> commit_worktree(const std::string& agent_id);
  // The unified diff of what the agent changed so far (the git_diff tool).
  boost::asio::awaitable<base::Expected<std::string>> agent_diff(const std::string& agent_id);

  // `work()` on the environment's blocking executor (inline where it has none), resumed here
  // afterwards: file and git work that must not hold up the loop.
  template <class Work>
  boost::asio::awaitable<std::invoke_result_t<Work&>> blocking(Work work) {
    using Result = std::invoke_result_t<Work&>;
    if (!env.blocking) co_return work();
    std::optional<Result> result = co_await boost::asio::co_spawn(
        env.blocking,
        [&work]() -> boost::asio::awaitable<std::optional<Result>> { co_return work(); },
        boost::asio::use_awaitable);
    co_return std::move(*result);
  }

 private:
  class ForwardingSink : public EventSink {
   public:
    explicit ForwardingSink(TaskContext& task) : task_(task) {}
    void emit(Event event) override { task_.forward(std::move(event)); }

   private:
    TaskContext& task_;
  };
  void forward(Event event);
  base::Expected<std::filesystem::path> task_directory();
  base::Status write_input_files(const std::filesystem::path& dir) const;

  ForwardingSink forwarding_sink_{*this};
  TaskBudget budget_;
  FeedbackBox feedback_;
  std::vector<DroppedResult> dropped_;
  Nursery* root_ = nullptr;
  bool cancel_requested_ = false;
  std::map<std::string, uint32_t> agent_counts_;
  std::map<std::string, std::shared_ptr<const policies::Compiled>> policies_;
  std::map<std::string, std::unique_ptr<TokenQueue>> tokens_;
  std::set<std::string> made_workspaces_;
  std::unique_ptr<TaskRepository> repository_;
  WorktreeSetup worktree_setup_;
  std::deque<std::string> digest_;
  uint64_t digest_end_ = 0;  // sequence number after the newest digest line
};

}  // namespace agents::runtime
