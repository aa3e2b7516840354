// parse_task_spec: the client's task JSON (hostile input) to a TaskSpec. Every error names the
// JSON pointer and what was expected; sizes and counts are bounded so that a spec cannot ask
// the daemon for unbounded work (tenant quotas apply on top).
#include <set>

#include "agents/runtime/base64.h"
#include "agents/runtime/json_schema.h"
#include "agents/runtime/task_spec_parts.h"
#include "agents/runtime/tool_catalog.h"
#include "agents/task_spec.h"
#include "base/json_fields.h"
#include "base/json_pointer.h"
#include "policies/tool_scope.h"

namespace agents {
namespace {

using base::Error;
using base::Expected;
using base::Ok;
using base::Status;
using nlohmann::json;
using Fields = base::JsonFields;
using spec_parts::is_plain_relative_path;

constexpr size_t kMaxPromptBytes = 1 << 20;
constexpr size_t kMaxTests = 256;
constexpr uint64_t kMaxWorkers = 1024;

// Stores a parsed field, or passes its error on.
template <class T, class U>
Status assign(T& target, base::FieldResult<U> parsed) {
  if (!parsed) return parsed.error();
  target = static_cast<T>(std::move(parsed.value()));
  return Ok{};
}

#define AGENTD_CHECK(expr) \
  if (auto status_ = (expr); !status_) return status_.error()

Status parse_fan_out(const Fields& f, FanOutOptions& o) {
  AGENTD_CHECK(f.only({"max_subtasks", "max_replans"}));
  AGENTD_CHECK(assign(o.max_subtasks, f.count("max_subtasks", o.max_subtasks, 1, kMaxWorkers)));
  AGENTD_CHECK(assign(o.max_replans, f.count("max_replans", o.max_replans, 0, 10)));
  return Ok{};
}

bool is_dag_step_kind(const json& name) {
  if (!name.is_string()) return false;
  const std::string& text = name.get_ref<const std::string&>();
  return text == runtime::kAgentStep || policies::parse_tool(text).has_value();
}

// "agent, run_code, http_get, ...": what allowed_tools may hold, as plans list it.
std::string dag_step_kinds() {
  std::string text(runtime::kAgentStep);
  for (policies::Tool tool : runtime::kDagStepTools)
    text += ", " + std::string(policies::to_string(tool));
  return text;
}

Status parse_dag(const Fields& f, DagOptions& o) {
  AGENTD_CHECK(f.only({"max_steps", "max_replans", "allowed_tools"}));
  AGENTD_CHECK(assign(o.max_steps, f.count("max_steps", o.max_steps, 1, 256)));
  AGENTD_CHECK(assign(o.max_replans, f.count("max_replans", o.max_replans, 0, 10)));
  if (const json* tools = f.find("allowed_tools")) {
    if (!tools->is_array()) return f.error("allowed_tools", "a list of tool names");
    for (const json& tool : *tools) {
      if (!is_dag_step_kind(tool))
        return f.error("allowed_tools", "tool names among " + dag_step_kinds());
      o.allowed_tools.push_back(tool.get<std::string>());
    }
  }
  return Ok{};
}

Status parse_best_of_n(const Fields& f, BestOfNOptions& o) {
  AGENTD_CHECK(f.only({"n", "language", "first_pass_wins", "use_judge", "tester_agents"}));
  AGENTD_CHECK(assign(o.n, f.count("n", o.n, 1, 64)));
  AGENTD_CHECK(assign(o.language, f.string("language", o.language, 16)));
  if (!policies::parse_language(o.language))
    return f.error("language", "one of python, bash, c, cpp, node");
  AGENTD_CHECK(assign(o.first_pass_wins, f.boolean("first_pass_wins", o.first_pass_wins)));
  AGENTD_CHECK(assign(o.use_judge, f.boolean("use_judge", o.use_judge)));
  AGENTD_CHECK(assign(o.tester_agents, f.count("tester_agents", o.tester_agents, 0, 16)));
  return Ok{};
}

Status parse_vote(const Fields& f, VoteOptions& o) {
  AGENTD_CHECK(f.only({"n", "quorum", "debate_rounds", "normalization", "ties"}));
  AGENTD_CHECK(assign(o.n, f.count("n", o.n, 1, 64)));
  AGENTD_CHECK(assign(o.quorum, f.number("quorum", o.quorum, 0, 1)));
  AGENTD_CHECK(assign(o.debate_rounds, f.count("debate_rounds", o.debate_rounds, 0, 5)));
  std::string normalization;
  AGENTD_CHECK(assign(normalization, f.string("normalization", "text", 16)));
  if (normalization == "exact")
    o.normalization = VoteNormalization::exact;
  else if (normalization == "text")
    o.normalization = VoteNormalization::text;
  else if (normalization == "number")
    o.normalization = VoteNormalization::number;
  else if (normalization == "json")
    o.normalization = VoteNormalization::json;
  else
    return f.error("normalization", "one of exact, text, number, json");
  std::string ties;
  AGENTD_CHECK(assign(ties, f.string("ties", "report", 16)));
  if (ties != "report" && ties != "judge") return f.error("ties", "\"report\" or \"judge\"");
  o.ties_to_judge = ties == "judge";
  return Ok{};
}

Status parse_moa(const Fields& f, MoaOptions& o) {
  AGENTD_CHECK(f.only({"layers", "proposers"}));
  AGENTD_CHECK(assign(o.layers, f.count("layers", o.layers, 1, 8)));
  AGENTD_CHECK(assign(o.proposers, f.count("proposers", o.proposers, 1, 16)));
  return Ok{};
}

Status parse_options(const json& root, TaskSpec& spec) {
  static const json empty = json::object();
  const json* options = root.contains("options") ? &root["options"] : &empty;
  Fields f(*options, "/options");
  AGENTD_CHECK(f.expect_object());
  switch (spec.pattern) {
    case PatternKind::fan_out:
      return parse_fan_out(f, spec.fan_out);
    case PatternKind::dag:
      return parse_dag(f, spec.dag);
    case PatternKind::best_of_n:
      return parse_best_of_n(f, spec.best_of_n);
    case PatternKind::vote:
      return parse_vote(f, spec.vote);
    case PatternKind::moa:
      return parse_moa(f, spec.moa);
  }
  return Ok{};
}

// The roles each pattern needs, and those it may use (on a repository: a tester whose policy runs
// the repository's tests, and for fan_out and dag a merger for merge conflicts,
// patterns/repository_merge.h).
struct RoleNeeds {
  std::vector<std::string> required;
  std::vector<std::string> optional;
};

RoleNeeds role_needs(const TaskSpec& spec, bool has_repository) {
  RoleNeeds needs;
  if (has_repository && (spec.pattern == PatternKind::fan_out || spec.pattern == PatternKind::dag))
    needs.optional = {"merger", "tester"};
  switch (spec.pattern) {
    case PatternKind::fan_out:
      needs.required = {"planner", "worker", "reducer"};
      break;
    case PatternKind::dag:
      needs.required = {"planner", "worker"};
      needs.optional.push_back("reducer");
      break;
    case PatternKind::best_of_n:
      needs.required = {"coder"};
      if (spec.best_of_n.use_judge) needs.required.push_back("judge");
      if (spec.best_of_n.tester_agents > 0) needs.required.push_back("tester");
      if (has_repository) needs.optional.push_back("tester");  // runs the repository's tests
      break;
    case PatternKind::vote:
      needs.required = {"voter"};
      if (spec.vote.ties_to_judge) needs.required.push_back("judge");
      break;
    case PatternKind::moa:
      needs.required = {"proposer", "aggregator"};
      break;
  }
  if (spec.monitor.enabled) needs.required.push_back("monitor");
  return needs;
}

Status parse_roles(const json& root, TaskSpec& spec) {
  Fields top(root, "");
  const json* roles = top.find("roles");
  if (!roles || !roles->is_object())
    return top.error("roles", "an object of role → {model, policy}");
  const RoleNeeds needs = role_needs(spec, top.has("repository"));
  for (const auto& [name, value] : roles->items()) {
    const bool known = std::count(needs.required.begin(), needs.required.end(), name) +
                       std::count(needs.optional.begin(), needs.optional.end(), name);
    if (!known) {
      std::string names;
      for (const auto& n : needs.required) names += (names.empty() ? "" : ", ") + n;
      for (const auto& n : needs.optional) names += (names.empty() ? "" : ", ") + n;
      return Error{base::json_pointer_append("/roles", name) + ": unknown role for " +
                   std::string(to_string(spec.pattern)) + "; expected one of: " + names};
    }
    Fields f(value, base::json_pointer_append("/roles", name));
    AGENTD_CHECK(f.expect_object());
    AGENTD_CHECK(f.only({"model", "policy", "system_prompt"}));
    RoleSpec role;
    AGENTD_CHECK(assign(role.model, f.string("model", std::nullopt, 256, true)));
    AGENTD_CHECK(assign(role.policy, f.string("policy", std::nullopt, 256, true)));
    AGENTD_CHECK(assign(role.system_prompt, f.string("system_prompt", "", 256 << 10)));
    spec.roles[name] = std::move(role);
  }
  for (const auto& name : needs.required)
    if (!spec.roles.count(name))
      return Error{base::json_pointer_append("/roles", name) +
                   ": expected an object {model, policy}: " + std::string(to_string(spec.pattern)) +
                   " needs this role"};
  return Ok{};
}

Status parse_expected_files(const Fields& f, TestCase& test) {
  const json* files = f.find("expected_files");
  if (!files) return Ok{};
  const std::string expected =
      "an object of at most 16 relative paths, each to its exact content (a string of at most "
      "1 MiB)";
  if (!files->is_object() || files->size() > 16) return f.error("expected_files", expected);
  for (const auto& [path, content] : files->items()) {
    if (!is_plain_relative_path(path) || !content.is_string() ||
        content.get_ref<const std::string&>().size() > (1 << 20))
      return Error{base::json_pointer_append(
                       base::json_pointer_append(f.pointer(), "expected_files"), path) +
                   ": expected " + expected};
    test.expected_files[path] = content.get<std::string>();
  }
  return Ok{};
}

Status parse_program_test(const Fields& f, TestCase& test) {
  AGENTD_CHECK(assign(test.stdin_data, f.string("stdin", "", 1 << 20)));
  if (f.has("expected_stdout"))
    AGENTD_CHECK(assign(test.expected_stdout, f.string("expected_stdout", std::nullopt, 1 << 20)));
  uint64_t status = 0;
  AGENTD_CHECK(assign(status, f.count("expected_exit_status", 0, 0, 255)));
  test.expected_exit_status = static_cast<int>(status);
  AGENTD_CHECK(parse_expected_files(f, test));
  if (!test.expected_stdout && test.expected_files.empty() && !f.has("expected_exit_status"))
    return f.error("expected_stdout",
                   "what the program must do: expected_stdout, expected_exit_status or "
                   "expected_files");
  return Ok{};
}

Status parse_tests(const json& root, TaskSpec& spec) {
  const json* tests = Fields(root, "").find("tests");
  if (!tests) return Ok{};
  if (!tests->is_array() || tests->size() > kMaxTests)
    return Fields(root, "").error("tests",
                                  "a list of at most " + std::to_string(kMaxTests) + " tests");
  for (size_t i = 0; i < tests->size(); ++i) {
    Fields f((*tests)[i], base::json_pointer_append("/tests", i));
    AGENTD_CHECK(f.expect_object());
    AGENTD_CHECK(f.only({"name", "stdin", "expected_stdout", "expected_exit_status",
                         "expected_files", "language", "code", "time_limit_ms"}));
    TestCase test;
    AGENTD_CHECK(assign(test.name, f.string("name", "test " + std::to_string(i + 1), 256)));
    uint64_t limit_ms = 0;
    AGENTD_CHECK(assign(limit_ms, f.count("time_limit_ms", 5000, 100, 600000)));
    test.time_limit = std::chrono::milliseconds(limit_ms);
    if (f.has("code")) {
      for (const char* key : {"stdin", "expected_stdout", "expected_exit_status", "expected_files"})
        if (f.has(key))
          return f.error("code",
                         "either {language, code} or a program test {stdin, expected_*}, "
                         "not both");
      AGENTD_CHECK(assign(test.code, f.string("code", std::nullopt, 256 << 10, true)));
      AGENTD_CHECK(assign(test.language, f.string("language", std::nullopt, 16)));
      // Only Python tests can reach the candidate without running beside it (docs/testing.md).
      if (test.language != "python")
        return f.error("language",
                       "\"python\" (a test script imports the candidate as `solution`, or runs "
                       "it with `candidate.run`; test other languages' candidates with those or "
                       "with program tests)");
    } else {
      AGENTD_CHECK(parse_program_test(f, test));
    }
    spec.tests.push_back(std::move(test));
  }
  return Ok{};
}

Status parse_input_files(const json& root, TaskSpec& spec) {
  const json* files = Fields(root, "").find("input_files");
  return files ? spec_parts::parse_files(*files, "/input_files", spec.input_files) : Ok{};
}

Status parse_budgets(const json& root, TaskSpec& spec) {
  static const json empty = json::object();
  const json* budgets = Fields(root, "").find("budgets");
  Fields f(budgets ? *budgets : empty, "/budgets");
  AGENTD_CHECK(f.expect_object());
  AGENTD_CHECK(f.only({"tokens", "cost_usd", "wall_time_ms"}));
  AGENTD_CHECK(assign(spec.budgets.tokens, f.count("tokens", 0, 0, uint64_t(1) << 40)));
  AGENTD_CHECK(assign(spec.budgets.cost_usd, f.number("cost_usd", 0, 0, 1e6)));
  uint64_t wall_ms = 0;
  AGENTD_CHECK(assign(wall_ms, f.count("wall_time_ms", 0, 0, 7ull * 24 * 3600 * 1000)));
  spec.budgets.wall_time = std::chrono::milliseconds(wall_ms);
  return Ok{};
}

Status parse_monitor_and_shared(const json& root, TaskSpec& spec) {
  Fields top(root, "");
  if (const json* monitor = top.find("monitor")) {
    Fields f(*monitor, "/monitor");
    AGENTD_CHECK(f.expect_object());
    AGENTD_CHECK(f.only({"interval_ms"}));
    uint64_t interval = 0;
    AGENTD_CHECK(assign(interval, f.count("interval_ms", 5000, 100, 3'600'000)));
    spec.monitor = {true, std::chrono::milliseconds(interval)};
  }
  if (const json* shared = top.find("shared_resources")) {
    if (!shared->is_array() || shared->size() > 16)
      return top.error("shared_resources", "a list of at most 16 {name, kind}");
    std::set<std::string> names;
    for (size_t i = 0; i < shared->size(); ++i) {
      Fields f((*shared)[i], base::json_pointer_append("/shared_resources", i));
      AGENTD_CHECK(f.expect_object());
      AGENTD_CHECK(f.only({"name", "kind"}));
      SharedResourceSpec resource;
      AGENTD_CHECK(assign(resource.name, f.string("name", std::nullopt, 64, true)));
      const bool plain = resource.name.find_first_not_of(
                             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
                         std::string::npos;
      if (!plain || !names.insert(resource.name).second)
        return f.error("name", "a new name of letters, digits, '_' and '-'");
      AGENTD_CHECK(assign(resource.kind, f.string("kind", "scratch", 16)));
      if (resource.kind != "scratch") return f.error("kind", "\"scratch\"");
      spec.shared_resources.push_back(std::move(resource));
    }
  }
  return Ok{};
}

Status parse_into(const json& root, TaskSpec& spec) {
  Fields top(root, "");
  AGENTD_CHECK(top.expect_object());
  AGENTD_CHECK(
      top.only({"pattern", "options", "prompt", "roles", "tests", "output_schema", "budgets",
                "input_files", "shared_resources", "monitor", "repository", "resume"}));
  std::string pattern;
  AGENTD_CHECK(assign(pattern, top.string("pattern", std::nullopt, 32)));
  auto kind = parse_pattern(pattern);
  if (!kind) return top.error("pattern", "one of fan_out, dag, best_of_n, vote, moa");
  spec.pattern = *kind;
  AGENTD_CHECK(assign(spec.prompt, top.string("prompt", std::nullopt, kMaxPromptBytes, true)));
  AGENTD_CHECK(assign(spec.resume, top.boolean("resume", false)));
  AGENTD_CHECK(parse_options(root, spec));
  AGENTD_CHECK(parse_monitor_and_shared(root, spec));
  AGENTD_CHECK(parse_roles(root, spec));
  AGENTD_CHECK(parse_tests(root, spec));
  if (spec.pattern == PatternKind::best_of_n && spec.tests.empty() &&
      spec.best_of_n.tester_agents == 0 && !top.has("repository"))
    return Error{
        "/tests: expected at least one test for best_of_n (or options.tester_agents > 0, or a "
        "repository with a test_command)"};
  if (const json* schema = top.find("output_schema")) {
    if (auto s = runtime::check_schema(*schema); !s) {
      const std::string& message = s.error().message;  // "/: ..." for the schema's root
      return Error{"/output_schema" + (message.rfind("/:", 0) == 0 ? message.substr(1) : message)};
    }
    spec.output_schema = *schema;
  }
  AGENTD_CHECK(parse_budgets(root, spec));
  AGENTD_CHECK(parse_input_files(root, spec));
  return spec_parts::parse_repository(root, spec);
}

#undef AGENTD_CHECK

}  // namespace

Expected<TaskSpec> parse_task_spec(const json& json_spec) {
  TaskSpec spec;
  if (auto s = parse_into(json_spec, spec); !s) return s.error();
  return spec;
}

}  // namespace agents
