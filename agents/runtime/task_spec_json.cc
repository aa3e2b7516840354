// TaskSpec and TaskResult as JSON (the journal, task.get), and the names of the enums.
// to_json(TaskSpec) writes every field, so parse_task_spec reads it back to the same spec.
#include "agents/runtime/base64.h"
#include "agents/runtime/task_spec_parts.h"
#include "agents/task_spec.h"

namespace agents {

using nlohmann::json;

namespace {

constexpr std::pair<PatternKind, std::string_view> kPatternNames[] = {
    {PatternKind::fan_out, "fan_out"},
    {PatternKind::dag, "dag"},
    {PatternKind::best_of_n, "best_of_n"},
    {PatternKind::vote, "vote"},
    {PatternKind::moa, "moa"},
};

std::string_view to_string(VoteNormalization normalization) {
  switch (normalization) {
    case VoteNormalization::exact:
      return "exact";
    case VoteNormalization::text:
      return "text";
    case VoteNormalization::number:
      return "number";
    case VoteNormalization::json:
      return "json";
  }
  return "text";
}

json options_json(const TaskSpec& spec) {
  switch (spec.pattern) {
    case PatternKind::fan_out:
      return {{"max_subtasks", spec.fan_out.max_subtasks},
              {"max_replans", spec.fan_out.max_replans}};
    case PatternKind::dag:
      return {{"max_steps", spec.dag.max_steps},
              {"max_replans", spec.dag.max_replans},
              {"allowed_tools", spec.dag.allowed_tools}};
    case PatternKind::best_of_n:
      return {{"n", spec.best_of_n.n},
              {"language", spec.best_of_n.language},
              {"first_pass_wins", spec.best_of_n.first_pass_wins},
              {"use_judge", spec.best_of_n.use_judge},
              {"tester_agents", spec.best_of_n.tester_agents}};
    case PatternKind::vote:
      return {{"n", spec.vote.n},
              {"quorum", spec.vote.quorum},
              {"debate_rounds", spec.vote.debate_rounds},
              {"normalization", to_string(spec.vote.normalization)},
              {"ties", spec.vote.ties_to_judge ? "judge" : "report"}};
    case PatternKind::moa:
      return {{"layers", spec.moa.layers}, {"proposers", spec.moa.proposers}};
  }
  return json::object();
}

json tests_json(const std::vector<TestCase>& tests) {
  json out = json::array();
  for (const TestCase& test : tests) {
    json item = {{"name", test.name}, {"time_limit_ms", test.time_limit.count()}};
    if (!test.code.empty()) {
      item["language"] = test.language;
      item["code"] = test.code;
    } else {
      item["stdin"] = test.stdin_data;
      if (test.expected_stdout) item["expected_stdout"] = *test.expected_stdout;
      item["expected_exit_status"] = test.expected_exit_status;
      if (!test.expected_files.empty()) item["expected_files"] = test.expected_files;
    }
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

std::string_view to_string(PatternKind kind) {
  for (const auto& [k, name] : kPatternNames)
    if (k == kind) return name;
  return "fan_out";
}

std::optional<PatternKind> parse_pattern(std::string_view name) {
  for (const auto& [kind, n] : kPatternNames)
    if (n == name) return kind;
  return std::nullopt;
}

std::string_view to_string(TaskStatus status) {
  switch (status) {
    case TaskStatus::succeeded:
      return "succeeded";
    case TaskStatus::failed:
      return "failed";
    case TaskStatus::cancelled:
      return "cancelled";
    case TaskStatus::budget_exhausted:
      return "budget_exhausted";
  }
  return "failed";
}

json to_json(const TaskSpec& spec) {
  json roles = json::object();
  for (const auto& [name, role] : spec.roles)
    roles[name] = {
        {"model", role.model}, {"policy", role.policy}, {"system_prompt", role.system_prompt}};
  json shared = json::array();
  for (const SharedResourceSpec& resource : spec.shared_resources)
    shared.push_back({{"name", resource.name}, {"kind", resource.kind}});
  json out = {
      {"pattern", to_string(spec.pattern)},
      {"options", options_json(spec)},
      {"prompt", spec.prompt},
      {"roles", std::move(roles)},
      {"tests", tests_json(spec.tests)},
      {"budgets",
       {{"tokens", spec.budgets.tokens},
        {"cost_usd", spec.budgets.cost_usd},
        {"wall_time_ms", spec.budgets.wall_time.count()}}},
      {"input_files", spec_parts::files_json(spec.input_files)},
      {"shared_resources", std::move(shared)},
      {"resume", spec.resume},
  };
  if (spec.output_schema) out["output_schema"] = *spec.output_schema;
  if (spec.monitor.enabled) out["monitor"] = {{"interval_ms", spec.monitor.interval.count()}};
  if (spec.repository) out["repository"] = spec_parts::repository_json(*spec.repository);
  return out;
}

json to_json(const TaskResult& result) {
  json dropped = json::array();
  for (const DroppedResult& d : result.dropped)
    dropped.push_back({{"agent_id", d.agent_id}, {"reason", d.reason}});
  json out = {
      {"status", to_string(result.status)},
      {"answer", result.answer},
      {"dropped", std::move(dropped)},
      {"usage",
       {{"prompt_tokens", result.usage.prompt_tokens},
        {"completion_tokens", result.usage.completion_tokens},
        {"cached_tokens", result.usage.cached_tokens},
        {"reasoning_tokens", result.usage.reasoning_tokens},
        {"cost_usd", result.usage.cost_usd},
        {"requests", result.usage.requests}}},
      {"details", result.details},
  };
  if (!result.error.empty()) out["error"] = result.error;
  if (!result.ended_by.empty()) out["ended_by"] = result.ended_by;
  if (!result.repository.is_null()) out["repository"] = result.repository;
  return out;
}

}  // namespace agents
