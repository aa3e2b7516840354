// dag (plan-then-execute, as in LLMCompiler): the planner emits steps with dependencies and
// ${id} references (dag_plan.h); each step starts as soon as its dependencies are done. An
// invalid plan (cycle, unknown reference, a tool outside the allowed ones) goes back to the
// planner with the reasons; a failed step triggers a re-plan that keeps completed results,
// while the steps still running go on. Re-plans of both kinds together are bounded. The
// answer is the reducer's (when the task has one) or the answer step's result. On a repository
// (repository_workers.h) the planner sees its files; each agent step changes a branch of its own
// (starting where the one agent step it depends on left off), the direct tool steps change the
// executor's, and every branch is merged before the answer.
#include <boost/asio/this_coro.hpp>
#include <cctype>
#include <map>

#include "agents/patterns/dag_plan.h"
#include "agents/patterns/parallel.h"
#include "agents/patterns/pattern.h"
#include "agents/patterns/repository_workers.h"
#include "agents/runtime/json_schema.h"
#include "agents/runtime/tool_catalog.h"
#include "agents/runtime/toolbox.h"
#include "agents/runtime/truncate.h"
#include "agents/runtime/validation.h"
#include "base/coroutine_warning.h"
#include "base/json_strict.h"

namespace agents::patterns {

namespace asio = boost::asio;
using nlohmann::json;
using runtime::AgentOutcome;
using runtime::AgentSpec;

namespace {

constexpr size_t kMaxResultChars = 20'000;  // a result as other steps and the planner see it

struct StepState {
  DagStep step;
  enum class Status { pending, running, done, failed } status = Status::pending;
  std::string result;  // done: the result; failed: why
  bool failure_handled = false;
};

AGENTD_COROUTINE_FRAMES_BEGIN

class DagRun {
 public:
  explicit DagRun(runtime::TaskContext& task) : task_(task), options_(task.spec.dag) {}

  asio::awaitable<PatternResult> run() {
    PatternResult result;
    auto policy = task_.policy_for_role("worker");
    if (!policy) {
      result.error = "role worker: unknown policy";
      co_return result;
    }
    tools_ = permitted_tools(options_.allowed_tools, policy->scope);
    overview_ = co_await repository_overview(task_);  // empty: no repository
    if (auto prepared = co_await task_.prepare_worktree("executor", "", *policy); !prepared) {
      result.error = "workspace: " + prepared.error().message;
      co_return result;
    }
    auto workspace = task_.make_workspace("executor");
    if (!workspace) {
      result.error = "workspace: " + workspace.error().message;
      co_return result;
    }
    toolbox_.emplace(task_, "executor", policy, *workspace);
    if (!co_await replan("")) {
      result.error = failure_;
      co_return result;
    }
    runtime::Nursery running(co_await asio::this_coro::executor);
    while (true) {
      start_ready(running);
      if (running.running() == 0) break;
      co_await running.next();
      if (!co_await handle_failures()) {
        running.cancel();
        co_await running.join();
        result.error = failure_;
        result.details = details();
        co_return result;
      }
    }
    result.details = details();
    if (task_.repository()) {
      const bool merged = co_await merge(result);  // never co_await inside && (GCC 12)
      if (!merged) co_return result;
    }
    co_return co_await answer(std::move(result));
  }

 private:
  json details() const {
    json steps = json::object();
    for (const auto& [id, state] : steps_)
      steps[id] = state.status == StepState::Status::done ? "done" : "not done";
    return {{"steps", steps}, {"replans", replans_}};
  }

  void start_ready(runtime::Nursery& running) {
    for (const std::string& id : order_) {
      StepState& state = steps_.at(id);
      if (state.status != StepState::Status::pending) continue;
      bool ready = true;
      for (const std::string& dep : state.step.depends_on)
        ready = ready && steps_.at(dep).status == StepState::Status::done;
      if (!ready) continue;
      state.status = StepState::Status::running;
      task_.emit("step.started", {}, {{"step", id}, {"tool", state.step.tool}});
      running.spawn(run_step(state));
    }
  }

  asio::awaitable<void> run_step(StepState& state) {
    const json input = substitute_references(state.step.input, results());
    if (state.step.tool == runtime::kAgentStep) {
      AgentSpec worker;
      worker.role = "worker";
      worker.default_system_prompt = "You carry out one step of a plan.";
      worker.prompt = "The overall task:\n" + task_.spec.prompt + "\n\nYour step (\"" +
                      state.step.id + "\"):\n" + input["prompt"].get<std::string>();
      if (task_.repository()) {
        worker.prompt += repository_worker_note();
        worker.start_commit = start_of(state.step);
      }
      AgentOutcome outcome = co_await runtime::run_agent(task_, std::move(worker));
      if (auto why = runtime::invalid_reason(outcome, std::nullopt)) {
        task_.drop(outcome.id, *why);
        finish(state, false, *why);
      } else {
        if (outcome.branch) {
          branches_.push_back(*outcome.branch);
          intents_[outcome.id] = input["prompt"].get<std::string>();
          heads_[state.step.id] = outcome.branch->head;
        }
        finish(state, true, outcome.answer_text());
      }
      co_return;
    }
    llm::ToolCall call{"step-" + state.step.id, state.step.tool, input.dump()};
    runtime::ToolCallOutcome outcome = co_await toolbox_->call(call, input);
    const bool ok = outcome.kind == runtime::ToolCallOutcome::Kind::ok;
    std::string text = std::move(outcome.content);
    // Later steps want a program's output, not its exit status and stderr.
    if (ok && policies::parse_tool(state.step.tool) == policies::Tool::run_code) {
      json parsed = json::parse(text, nullptr, false);
      if (parsed.is_object() && parsed.contains("stdout")) text = parsed["stdout"];
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.pop_back();
    }
    finish(state, ok, text);
  }

  void finish(StepState& state, bool ok, const std::string& text) {
    state.status = ok ? StepState::Status::done : StepState::Status::failed;
    state.result = runtime::truncate_for_model(text, kMaxResultChars);
    task_.emit("step.finished", {},
               {{"step", state.step.id},
                {"status", ok ? "done" : "failed"},
                {"error", ok ? "" : runtime::truncate_for_model(text, 500)}});
  }

  std::map<std::string, std::string> results() const {
    std::map<std::string, std::string> out;
    for (const auto& [id, state] : steps_)
      if (state.status == StepState::Status::done) out[id] = state.result;
    return out;
  }

  // A failed step's re-plan; false when re-plans ran out (failure_ says why).
  asio::awaitable<bool> handle_failures() {
    std::vector<std::string> failed;  // a re-plan replaces failed steps: collect them first
    for (const auto& [id, state] : steps_)
      if (state.status == StepState::Status::failed && !state.failure_handled) failed.push_back(id);
    for (const std::string& id : failed) {
      auto it = steps_.find(id);
      if (it == steps_.end() || it->second.failure_handled) continue;
      it->second.failure_handled = true;
      const std::string reason = "Step \"" + id + "\" failed: " + it->second.result;
      if (!co_await replan(reason)) co_return false;
    }
    co_return true;
  }

  std::string replan_prompt(const std::string& reason, const std::vector<std::string>& errors) {
    std::string prompt = "Task:\n" + task_.spec.prompt + overview_ + "\n\nTools a step may use: ";
    for (const auto& tool : tools_) prompt += tool + " ";
    prompt +=
        "\n(agent: a worker agent given input.prompt; the others take the tool's own "
        "arguments as input.) Refer to a step's result as ${id}.";
    if (!reason.empty()) prompt += "\n\n" + reason;
    for (const auto& [id, state] : steps_) {
      if (state.status == StepState::Status::done)
        prompt += "\n\nCompleted step \"" + id + "\" (refer to it as ${" + id + "}):\n" +
                  runtime::truncate_for_model(state.result, 2000);
      else if (state.status == StepState::Status::running)
        prompt += "\n\nStep \"" + id + "\" is still running; you may depend on it.";
    }
    if (!errors.empty()) {
      prompt += "\n\nYour previous plan was invalid:";
      for (const auto& e : errors) prompt += "\n- " + e;
    }
    if (!steps_.empty()) prompt += "\n\nPlan only the steps still needed; use new ids.";
    return prompt;
  }

  // Asks the planner (again) until a valid plan merges in; false when re-plans run out.
  asio::awaitable<bool> replan(const std::string& reason) {
    std::vector<std::string> errors;
    while (true) {
      const bool first = steps_.empty() && errors.empty() && reason.empty();
      if (!first) {
        if (replans_ >= options_.max_replans) {
          failure_ = "re-plans exhausted (" + std::to_string(options_.max_replans) +
                     "): " + (errors.empty() ? reason : errors.front());
          co_return false;
        }
        ++replans_;
        task_.emit("plan.replanned", {},
                   {{"replans", replans_}, {"reason", errors.empty() ? reason : "invalid plan"}});
      }
      AgentSpec planner;
      planner.role = "planner";
      planner.default_system_prompt =
          "You plan a task as a graph of steps that run in "
          "parallel where their dependencies allow.";
      planner.prompt = replan_prompt(reason, errors);
      planner.answer_schema = dag_plan_schema(options_.max_steps);
      planner.tools_enabled = false;
      const size_t mark = task_.dropped().size();
      AgentOutcome outcome = co_await runtime::run_agent(task_, std::move(planner));
      if (!runtime::accept_result(task_, outcome, dag_plan_schema(options_.max_steps))) {
        errors = {with_causes(task_, mark, "the planner gave no plan")};
        continue;
      }
      DagPlanCheck check = check_dag_plan(outcome.answer, rules());
      if (check.errors.empty()) {
        merge(std::move(check.plan), outcome.id);
        co_return true;
      }
      task_.emit("plan.invalid", outcome.id, {{"errors", check.errors}});
      errors = std::move(check.errors);
    }
  }

  DagPlanRules rules() const {
    DagPlanRules rules;
    rules.allowed_tools = tools_;
    rules.max_steps = options_.max_steps;
    for (const auto& [id, state] : steps_)
      if (state.status == StepState::Status::done || state.status == StepState::Status::running)
        rules.kept_ids.insert(id);
    return rules;
  }

  // New steps join the kept ones; pending and failed steps of the old plan are replaced.
  void merge(DagPlan plan, const std::string& planner_id) {
    std::erase_if(steps_, [](const auto& entry) {
      return entry.second.status == StepState::Status::pending ||
             entry.second.status == StepState::Status::failed;
    });
    std::erase_if(order_, [&](const std::string& id) { return !steps_.count(id); });
    for (DagStep& step : plan.steps) {
      order_.push_back(step.id);
      steps_[step.id].step = std::move(step);
    }
    answer_step_ = plan.answer.empty() ? order_.back() : plan.answer;
    task_.emit("plan.created", planner_id,
               {{"steps", plan.steps.size()}, {"answer", answer_step_}});
  }

  asio::awaitable<PatternResult> answer(PatternResult result) {
    const auto& schema = task_.spec.output_schema;
    if (task_.role("reducer")) {
      std::string listing;
      for (const std::string& id : order_)
        listing += "Step \"" + id + "\":\n" + steps_.at(id).result + "\n\n";
      AgentSpec reducer;
      reducer.role = "reducer";
      reducer.default_system_prompt = "You write the answer from the results of a plan's steps.";
      reducer.prompt =
          "The task:\n" + task_.spec.prompt + "\n\nResults:\n\n" + listing + merge_note_;
      reducer.answer_schema = schema;
      reducer.tools_enabled = false;
      const size_t mark = task_.dropped().size();
      AgentOutcome merged = co_await runtime::run_agent(task_, std::move(reducer));
      if (!runtime::accept_result(task_, merged, schema)) {
        result.error = with_causes(task_, mark, "the reducer gave no valid answer");
        co_return result;
      }
      result.answer = std::move(merged.answer);
    } else {
      auto step = steps_.find(answer_step_);
      if (step == steps_.end() || step->second.status != StepState::Status::done) {
        result.error = "the answer step \"" + answer_step_ + "\" did not complete";
        co_return result;
      }
      const std::string& text = step->second.result;
      result.answer = text;
      if (schema) {
        // The step's whole text, read strictly (base/json_strict.h): what is validated is what
        // the task answers.
        auto parsed = base::parse_json_strict(text);
        std::vector<std::string> errors;
        if (!parsed)
          errors.push_back(parsed.error().code == base::kNotJson ? "not JSON"
                                                                 : parsed.error().message);
        else
          errors = runtime::validate(*parsed, *schema, 3);
        if (!errors.empty()) {
          result.error =
              "step \"" + answer_step_ + "\" does not match the output schema: " + errors.front();
          co_return result;
        }
        result.answer = std::move(*parsed);
      }
    }
    result.succeeded = true;
    co_return result;
  }

  // The branch an agent step starts at: where the agent steps it depends on left off, when they
  // all left off at one commit; otherwise the base (their work meets at the merge).
  std::string start_of(const DagStep& step) const {
    std::string start;
    for (const std::string& dep : step.depends_on) {
      auto it = heads_.find(dep);
      if (it == heads_.end()) continue;
      if (!start.empty() && start != it->second) return "";
      start = it->second;
    }
    return start;
  }

  // The agent steps' branches and the executor's, merged; false when the task fails.
  asio::awaitable<bool> merge(PatternResult& result) {
    std::vector<runtime::AgentBranch> branches = branches_;
    std::optional<runtime::AgentBranch> executor = co_await task_.commit_worktree("executor");
    if (executor) {
      branches.push_back(*executor);
      intents_["executor"] = "the plan's direct tool steps";
    }
    auto summary = co_await merge_into_result(task_, result, std::move(branches), intents_);
    if (!summary) co_return false;
    merge_note_ = "\n" + *summary;
    co_return true;
  }

  runtime::TaskContext& task_;
  const DagOptions& options_;
  std::string overview_;                        // the planner's view of the repository
  std::vector<runtime::AgentBranch> branches_;  // the agent steps' (repository tasks)
  std::map<std::string, std::string> intents_;  // agent id -> its step's prompt
  std::map<std::string, std::string> heads_;    // step id -> its agent's branch head
  std::string merge_note_;                      // for the reducer: what the merge kept
  std::optional<runtime::Toolbox> toolbox_;     // direct tool steps, in one shared workspace
  std::vector<std::string> tools_;
  std::map<std::string, StepState> steps_;
  std::vector<std::string> order_;
  std::string answer_step_;
  uint32_t replans_ = 0;
  std::string failure_;
};

}  // namespace

asio::awaitable<PatternResult> dag(runtime::TaskContext& task) {
  DagRun run(task);
  co_return co_await run.run();
}

AGENTD_COROUTINE_FRAMES_END

}  // namespace agents::patterns
