// fan_out (map-reduce): a planner decomposes the prompt into subtasks (JSON validated against
// a schema; an invalid plan is sent back to the planner, and a planner that ends without one
// is replaced, up to max_replans times), workers solve them in parallel, and a reducer merges
// the valid results into the answer (validated against the task's output schema). On a
// repository (repository_workers.h) the planner sees its files, each worker changes a branch of
// its own, and the valid workers' branches are merged before the reducer writes the answer.
#include "agents/patterns/parallel.h"
#include "agents/patterns/pattern.h"
#include "agents/patterns/repository_workers.h"
#include "agents/runtime/validation.h"

namespace agents::patterns {

namespace asio = boost::asio;
using nlohmann::json;
using runtime::AgentOutcome;
using runtime::AgentSpec;

namespace {

json plan_schema(uint32_t max_subtasks) {
  return {{"type", "object"},
          {"properties",
           {{"subtasks",
             {{"type", "array"},
              {"items", {{"type", "string"}, {"minLength", 1}, {"maxLength", 20000}}},
              {"minItems", 1},
              {"maxItems", max_subtasks}}}}},
          {"required", {"subtasks"}}};
}

asio::awaitable<std::optional<std::vector<std::string>>> plan(runtime::TaskContext& task) {
  const FanOutOptions& options = task.spec.fan_out;
  AgentSpec planner;
  planner.role = "planner";
  planner.default_system_prompt =
      "You split a task into independent subtasks that can be solved in parallel, at most " +
      std::to_string(options.max_subtasks) + ".";
  const std::string overview = co_await repository_overview(task);  // empty: no repository
  planner.prompt = "Task:\n" + task.spec.prompt + overview +
                   "\n\nAnswer with {\"subtasks\": [\"...\", ...]}: each subtask on its own, "
                   "complete enough to be solved without the others.";
  planner.answer_schema = plan_schema(options.max_subtasks);
  planner.tools_enabled = false;
  for (uint32_t attempt = 0; attempt <= options.max_replans; ++attempt) {
    AgentOutcome outcome = co_await runtime::run_agent(task, planner);
    if (runtime::accept_result(task, outcome, planner.answer_schema)) {
      std::vector<std::string> subtasks;
      for (const json& subtask : outcome.answer["subtasks"]) subtasks.push_back(subtask);
      task.emit("plan.created", outcome.id, {{"subtasks", subtasks.size()}});
      co_return subtasks;
    }
    if (task.cancel_requested()) break;
    task.emit("plan.replanned", outcome.id, {{"reason", "the planner gave no valid plan"}});
  }
  co_return std::nullopt;
}

}  // namespace

asio::awaitable<PatternResult> fan_out(runtime::TaskContext& task) {
  PatternResult result;
  size_t mark = task.dropped().size();
  auto subtasks = co_await plan(task);
  if (!subtasks) {
    result.error = with_causes(task, mark, "the planner gave no valid plan");
    co_return result;
  }
  std::vector<AgentSpec> workers;
  for (size_t i = 0; i < subtasks->size(); ++i) {
    AgentSpec worker;
    worker.role = "worker";
    worker.default_system_prompt = "You solve one subtask of a larger task.";
    worker.prompt = "The overall task:\n" + task.spec.prompt + "\n\nYour subtask (" +
                    std::to_string(i + 1) + " of " + std::to_string(subtasks->size()) + "):\n" +
                    (*subtasks)[i];
    if (task.repository()) worker.prompt += repository_worker_note();
    workers.push_back(std::move(worker));
  }
  mark = task.dropped().size();
  std::vector<AgentOutcome> outcomes = co_await run_agents(task, std::move(workers));
  std::map<std::string, std::string> intents;  // what each worker was asked, for a merge agent
  for (size_t i = 0; i < outcomes.size(); ++i) intents[outcomes[i].id] = (*subtasks)[i];
  std::vector<AgentOutcome> valid = keep_valid(task, std::move(outcomes));
  result.details = {{"subtasks", subtasks->size()}, {"valid_results", valid.size()}};
  if (valid.empty()) {
    result.error = with_causes(task, mark, "no worker gave a valid result");
    co_return result;
  }
  std::string merge_note;  // on a repository: what the merge kept and left out
  if (task.repository()) {
    std::vector<runtime::AgentBranch> branches;
    for (const AgentOutcome& outcome : valid)
      if (outcome.branch) branches.push_back(*outcome.branch);
    auto summary = co_await merge_into_result(task, result, std::move(branches), intents);
    if (!summary) co_return result;
    merge_note = std::move(*summary);
  }

  AgentSpec reducer;
  reducer.role = "reducer";
  reducer.default_system_prompt = "You merge the results of subtasks into one answer.";
  reducer.prompt = "The task:\n" + task.spec.prompt + "\n\nResults of its subtasks:\n\n" +
                   list_answers(valid, "Result") + merge_note +
                   "Merge them into the answer to the task.";
  reducer.answer_schema = task.spec.output_schema;
  reducer.tools_enabled = false;
  mark = task.dropped().size();
  AgentOutcome merged = co_await runtime::run_agent(task, std::move(reducer));
  if (!runtime::accept_result(task, merged, task.spec.output_schema)) {
    result.error = with_causes(task, mark, "the reducer gave no valid answer");
    co_return result;
  }
  result.succeeded = true;
  result.answer = std::move(merged.answer);
  co_return result;
}

}  // namespace agents::patterns
