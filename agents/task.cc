// run_task: one task from start to TaskResult. The pattern runs in the task's root Nursery;
// the wall-time timer, the budget ledger, TaskControl::cancel and the caller's own
// cancellation all end it by cancelling that root, which reaches every agent, LLM request
// and sandbox of the task at once. The monitor, when asked for, runs beside it.
#include "agents/task.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "agents/llm/client.h"
#include "agents/patterns/pattern.h"
#include "agents/runtime/monitor.h"
#include "agents/runtime/task_context.h"

namespace agents {

namespace asio = boost::asio;

struct TaskControl::State {
  runtime::TaskContext* running = nullptr;  // set while run_task runs
  bool cancel_requested = false;
  std::vector<std::string> early_broadcasts;  // feedback("*") before the task started
};

TaskControl::TaskControl() : state_(std::make_shared<State>()) {}
TaskControl::~TaskControl() = default;

void TaskControl::cancel() {
  state_->cancel_requested = true;
  if (state_->running) {
    state_->running->emit("task.cancel_requested");
    state_->running->cancel_all();
  }
}

bool TaskControl::feedback(std::string agent_id, std::string text) {
  if (!state_->running) {
    if (agent_id != "*") return false;
    state_->early_broadcasts.push_back(std::move(text));
    return true;
  }
  const size_t chars = text.size();
  if (!state_->running->feedback().post(agent_id, std::move(text))) return false;
  state_->running->emit("feedback.received", agent_id == "*" ? "" : agent_id,
                        {{"to", agent_id}, {"chars", chars}});
  return true;
}

base::Status check_task_spec(const TaskSpec& spec, const TaskEnvironment& env) {
  for (const auto& [name, role] : spec.roles) {
    if (!env.policies || !env.policies(role.policy))
      return base::Error{"/roles/" + name + "/policy: unknown policy \"" + role.policy + "\""};
    if (!env.llm.find_model(role.model))
      return base::Error{"/roles/" + name + "/model: unknown model \"" + role.model + "\""};
  }
  return base::Ok{};
}

namespace {

bool is_plain_id(const std::string& id) {
  return !id.empty() && id.size() <= 128 && id != "." && id != ".." &&
         id.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") ==
             std::string::npos;
}

asio::awaitable<void> pattern_into(runtime::TaskContext& task, patterns::PatternResult& out) {
  if (auto opened = co_await task.open_repository(); !opened) {
    out.error = opened.error().message;
    co_return;
  }
  out = co_await patterns::run_pattern(task);
}

// Attaches the context to the control for the duration of the task.
class Attachment {
 public:
  Attachment(const std::shared_ptr<TaskControl>& control, runtime::TaskContext& task)
      : state_(control ? control->state() : nullptr) {
    if (!state_) return;
    state_->running = &task;
    for (std::string& text : state_->early_broadcasts) task.feedback().post("*", std::move(text));
    state_->early_broadcasts.clear();
    if (state_->cancel_requested) task.cancel_all();
  }
  ~Attachment() {
    if (state_) state_->running = nullptr;
  }
  Attachment(const Attachment&) = delete;
  Attachment& operator=(const Attachment&) = delete;

 private:
  std::shared_ptr<TaskControl::State> state_;
};

TaskResult conclude(runtime::TaskContext& task, patterns::PatternResult pattern,
                    bool caller_cancelled, const std::string& internal_error) {
  TaskResult result;
  result.usage = task.budget().used();
  result.dropped = task.dropped();
  result.details = std::move(pattern.details);
  result.repository = std::move(pattern.repository);
  if (!task.budget().exhausted().empty()) {
    result.status = TaskStatus::budget_exhausted;
    result.ended_by = task.budget().exhausted();
    result.error = "the task's " + result.ended_by + " budget ran out";
    // An answer that arrived with the charge that crossed the budget is still worth showing.
    if (pattern.succeeded) result.answer = std::move(pattern.answer);
  } else if (caller_cancelled || task.cancel_requested()) {
    result.status = TaskStatus::cancelled;
    result.error = "cancelled";
  } else if (!internal_error.empty()) {
    result.error = "internal error: " + internal_error;
  } else if (pattern.succeeded) {
    result.status = TaskStatus::succeeded;
    result.answer = std::move(pattern.answer);
  } else {
    result.error = std::move(pattern.error);
  }
  return result;
}

}  // namespace

asio::awaitable<TaskResult> run_task(TaskEnvironment& env, TaskSpec spec, std::string task_id,
                                     std::shared_ptr<TaskControl> control) {
  if (!is_plain_id(task_id)) {
    TaskResult refused;
    refused.error = "task id must be 1-128 letters, digits, '_', '-' or '.'";
    co_return refused;
  }
  runtime::TaskContext task(env, spec, task_id);
  runtime::Nursery root(env.executor);
  runtime::Nursery beside(env.executor);  // the monitor
  task.set_root(&root);
  Attachment attachment(control, task);
  task.emit("task.started", {},
            {{"pattern", to_string(spec.pattern)}, {"roles", spec.roles.size()}});

  patterns::PatternResult pattern;
  root.spawn(pattern_into(task, pattern));
  if (spec.monitor.enabled) beside.spawn(runtime::run_monitor(task));
  asio::steady_timer wall_timer(env.executor);
  if (spec.budgets.wall_time.count() > 0) {
    wall_timer.expires_after(spec.budgets.wall_time);
    wall_timer.async_wait([&task](boost::system::error_code ec) {
      if (!ec) task.exhaust("wall_time");
    });
  }

  bool caller_cancelled = false;
  std::string internal_error;
  try {
    co_await root.join();
  } catch (const boost::system::system_error& e) {
    if (e.code() != asio::error::operation_aborted)
      internal_error = e.what();
    else
      caller_cancelled = true;
  } catch (const std::exception& e) {
    internal_error = e.what();
  }
  if (caller_cancelled) task.cancel_all();
  co_await asio::this_coro::reset_cancellation_state();
  wall_timer.cancel();
  beside.cancel();
  try {
    co_await beside.join();
  } catch (const std::exception& e) {
    task.emit("monitor.error", {}, {{"error", e.what()}});
  }

  TaskResult result = conclude(task, std::move(pattern), caller_cancelled, internal_error);
  task.emit("task.finished", {},
            {{"status", to_string(result.status)},
             {"ended_by", result.ended_by},
             {"error", result.error},
             {"dropped", result.dropped.size()},
             {"tokens", result.usage.total_tokens()},
             {"cost_usd", result.usage.cost_usd}});
  co_return result;
}

}  // namespace agents
