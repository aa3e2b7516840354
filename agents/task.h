// agents::run_task: the daemon's entry point into the agents library. A TaskSpec (parsed and
// validated from the client's JSON) names a pattern, its options, the prompt, the roles with
// their models and policies, tests, an output schema and budgets; run_task runs it as one
// coroutine on the environment's executor and returns a TaskResult. Every step is an Event
// through the environment's EventSink. A TaskControl cancels the task or sends it human
// feedback while it runs.
//
// The spec and the result, and their JSON: agents/task_spec.h.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/events.h"
#include "agents/task_spec.h"
#include "base/expected.h"

namespace sandbox {
class Runner;
}
namespace policies {
struct Compiled;
}
namespace agents::http {
class Client;
}
namespace agents::llm {
class Client;
}
namespace agents::runtime {
class GpuProvider;
}

namespace agents {

// A policy by name, compiled against the server's caps; null when unknown.
using PolicyLookup =
    std::function<std::shared_ptr<const policies::Compiled>(std::string_view policy_name)>;

// Limits of the runtime itself (not of a policy).
struct RuntimeOptions {
  size_t max_tool_result_chars = 8'000;   // longer results are cut and say so
  std::vector<std::string> http_resolve;  // http_get RESOLVE pins (tests stand in for DNS)
  bool stream_tokens = false;  // stream model answers; each delta becomes an llm.delta event
};

// What a task runs on. The daemon owns all of it and outlives every task.
struct TaskEnvironment {
  boost::asio::any_io_executor executor;
  llm::Client& llm;
  sandbox::Runner& runner;
  http::Client& http;  // http_get
  PolicyLookup policies;
  EventSink& events;
  // Each agent gets workspace_root/<task_id>/<agent_id>, created on first use and kept after
  // the task (the daemon prunes it). Must be a directory only the daemon can write.
  std::filesystem::path workspace_root;
  RuntimeOptions options;
  // The machine's GPUs for policies that grant some; null: this daemon has none, and run_code
  // under such a policy fails saying so.
  runtime::GpuProvider* gpus = nullptr;
  std::string tenant{};  // who submitted the task, for fair GPU leases; empty: unknown
  // Where blocking file and git work runs (repository tasks); empty: inline on `executor`.
  boost::asio::any_io_executor blocking{};
};

// Checks what parse_task_spec cannot: every role's policy is known to `env`.
base::Status check_task_spec(const TaskSpec& spec, const TaskEnvironment& env);

// A running task's handle for the daemon (task.cancel, task.feedback). Safe to call from the
// task's executor only; calls before the task starts are queued.
class TaskControl {
 public:
  TaskControl();
  ~TaskControl();
  TaskControl(const TaskControl&) = delete;
  TaskControl& operator=(const TaskControl&) = delete;

  // Cancels every agent of the task: in-flight LLM requests are aborted and sandboxes killed;
  // the result says `cancelled`.
  void cancel();
  // `text` reaches the agent `agent_id` (or every agent for "*") as a user message at its
  // next model turn. Returns false when no such agent is running.
  bool feedback(std::string agent_id, std::string text);

  struct State;
  std::shared_ptr<State> state() const { return state_; }

 private:
  std::shared_ptr<State> state_;
};

// Runs the task to its end and returns its result; never throws for task-level failures
// (they are a TaskResult). Emits task.started ... task.finished. Cancelling the awaiting
// coroutine's cancellation slot (terminal) is the same as control->cancel().
boost::asio::awaitable<TaskResult> run_task(TaskEnvironment& env, TaskSpec spec,
                                            std::string task_id,
                                            std::shared_ptr<TaskControl> control = nullptr);

}  // namespace agents
