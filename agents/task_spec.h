// What a task is and what it returns, and both as JSON: the face of agents/ for code that
// stores, lists or checks tasks without running them (the daemon's journal and queries).
// Running one is agents/task.h's.
//
// A task spec as JSON (parse_task_spec; every field but pattern, prompt and roles optional):
//   {"pattern": "fan_out",            // fan_out | dag | best_of_n | vote | moa
//    "options": {"max_subtasks": 8},  // the pattern's options, below
//    "prompt": "...",
//    "roles": {"planner": {"model": "strong", "policy": "reviewer", "system_prompt": "..."},
//              "worker": {"model": "cheap", "policy": "coder"},
//              "reducer": {"model": "strong", "policy": "reviewer"}},
//    "tests": [{"name": "t1", "stdin": "1 2", "expected_stdout": "3"},
//              {"name": "t2", "language": "python", "code": "import solution ..."}],
//    "output_schema": {"type": "object", ...},  // the subset in runtime/json_schema.h
//    "budgets": {"tokens": 100000, "cost_usd": 2.5, "wall_time_ms": 600000},
//    "input_files": [{"path": "data/in.csv", "content": "...", "encoding": "utf-8"}],
//    "shared_resources": [{"name": "scratch", "kind": "scratch"}],
//    "monitor": {"interval_ms": 5000},  // present: a monitor runs (needs role "monitor")
//    "repository": {"path": "/srv/git/app", "ref": "HEAD",   // or "bundle": base64
//                   "test_command": ["python3", "-m", "pytest", "--junitxml={junit_xml}"]},
//    "resume": false}
// Roles per pattern: fan_out planner, worker, reducer; dag planner, worker (reducer
// optional); best_of_n coder (tester with tester_agents, judge with use_judge); vote voter
// (judge with "ties": "judge"); moa proposer, aggregator; monitor when "monitor" is given. On a
// repository, best_of_n, fan_out and dag may name a tester (its policy runs the repository's
// tests), and fan_out and dag a merger (merge conflicts).
// Options: fan_out {max_subtasks, max_replans}; dag {max_steps, max_replans, allowed_tools};
// best_of_n {n, language, first_pass_wins, use_judge, tester_agents}; vote {n, quorum,
// debate_rounds, normalization: exact|text|number|json, ties: report|judge}; moa {layers,
// proposers}. Unknown fields are errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/llm/chat.h"
#include "base/expected.h"

namespace agents {

// The five orchestration patterns.
enum class PatternKind { fan_out, dag, best_of_n, vote, moa };
std::string_view to_string(PatternKind kind);
std::optional<PatternKind> parse_pattern(std::string_view name);

// One role of a task: planner, worker, reducer, judge, proposer, aggregator, coder, tester,
// voter, monitor. Each may use a different model and policy.
struct RoleSpec {
  std::string model;          // a configured model name (llm::ModelConfig::name)
  std::string policy;         // a policy name the environment's lookup knows ("coder")
  std::string system_prompt;  // empty: the pattern's default for the role
};

// A test a best_of_n candidate must pass (docs/testing.md). Either a program test: the
// candidate runs with `stdin_data` in a fresh workspace, and passes when its stdout equals
// `expected_stdout` (trailing whitespace of each line and of the whole text ignored), it exits
// with `expected_exit_status`, and it left exactly `expected_files`' contents at their paths;
// or a Python script (`language` "python", `code`) run by the test harness in a sandbox of its
// own, where `import solution` reaches the candidate in its sandbox as plain data. Each test
// (each test function of a script) has `time_limit` to pass.
struct TestCase {
  std::string name;
  std::string stdin_data;
  std::optional<std::string> expected_stdout;
  int expected_exit_status = 0;
  std::map<std::string, std::string> expected_files;  // relative path -> exact content
  std::string language;                               // script tests only: python
  std::string code;                                   // script tests only
  std::chrono::milliseconds time_limit{5000};
};

// Per-task budgets, held across every parallel branch. 0 means no limit (the daemon's
// tenant quotas still apply).
struct TaskBudgets {
  uint64_t tokens = 0;  // prompt + completion tokens of every request of the task
  double cost_usd = 0;
  std::chrono::milliseconds wall_time{0};
};

struct InputFile {
  std::string path;     // relative, inside each agent's workspace
  std::string content;  // bytes (the JSON carries text, or base64 with "encoding": "base64")
};

// Options of each pattern, with their defaults. Only the chosen pattern's options are read
// from the JSON; unknown keys are errors.
struct FanOutOptions {
  uint32_t max_subtasks = 16;  // more from the planner is a validation error sent back to it
  uint32_t max_replans = 2;    // planner retries after an invalid plan
};
struct DagOptions {
  uint32_t max_steps = 32;
  uint32_t max_replans = 3;  // invalid plans and failed steps together
  // Tools a step may name: "agent" (a worker agent given a prompt) and the direct tools
  // run_code, http_get, read_file, write_file, list_files. Empty: all of them.
  std::vector<std::string> allowed_tools;
};
struct BestOfNOptions {
  uint32_t n = 4;
  std::string language = "python";  // of the candidate programs
  bool first_pass_wins = false;     // first candidate passing every test wins, others cancelled
  bool use_judge = false;           // a judge (role "judge") breaks remaining ties
  uint32_t tester_agents = 0;       // write tests with this many "tester" agents when none given
};
enum class VoteNormalization { exact, text, number, json };
struct VoteOptions {
  uint32_t n = 5;
  double quorum = 0.5;  // the winner needs the votes of at least this fraction of voters
  uint32_t debate_rounds = 0;
  VoteNormalization normalization = VoteNormalization::text;
  bool ties_to_judge = false;  // otherwise a tie is reported (status failed, "tie")
};
struct MoaOptions {
  uint32_t layers = 2;
  uint32_t proposers = 3;  // per layer
};
struct MonitorOptions {
  bool enabled = false;  // needs a "monitor" role
  std::chrono::milliseconds interval{5'000};
};
// A shared resource (a scratch directory, a GPU) used only by the agent holding its token.
struct SharedResourceSpec {
  std::string name;
  std::string kind = "scratch";  // "scratch": a shared directory mounted at /shared/<name>
};

// A repository the task's agents work on (docs/repositories.md): each agent that needs a
// workspace gets its own branch agentd/<task>/<agent> checked out in its own worktree.
struct RepositorySpec {
  std::string path;    // a repository on the daemon's host (the operator allows it per tenant)
  std::string bundle;  // or a git bundle's bytes (the JSON carries base64)
  std::string ref = "HEAD";
  // Run at the root of a tree in a sandbox (tester policy, else coder): "{junit_xml}" in an
  // argument is replaced by a path where the runner writes a JUnit XML report; the verdict then
  // comes from that report. Empty: no tests (fan_out and dag only).
  std::vector<std::string> test_command;
  std::vector<std::string> setup_command;    // once per tree before its agent or tests start
  std::vector<std::string> protected_paths;  // globs; empty: kDefaultProtectedPaths
  std::vector<InputFile> hidden_tests;       // added to every tested tree, seen by no agent
  bool keep_branch = true;                   // the result branch outlives the task's pruning
};

struct TaskSpec {
  PatternKind pattern = PatternKind::fan_out;
  FanOutOptions fan_out;
  DagOptions dag;
  BestOfNOptions best_of_n;
  VoteOptions vote;
  MoaOptions moa;
  MonitorOptions monitor;
  std::string prompt;
  std::map<std::string, RoleSpec> roles;
  std::vector<TestCase> tests;
  std::optional<nlohmann::json> output_schema;  // the answer must validate (see json_schema.h)
  TaskBudgets budgets;
  std::vector<InputFile> input_files;
  std::vector<SharedResourceSpec> shared_resources;
  std::optional<RepositorySpec> repository;
  bool resume = false;  // after a daemon restart, run the task again instead of interrupting it
};

// Parses and validates a task spec; an error names the JSON path and what was expected:
// "/roles/worker/model: expected a non-empty string, got 5".
base::Expected<TaskSpec> parse_task_spec(const nlohmann::json& json);
// The spec as JSON that parse_task_spec reads back to the same spec (for the journal).
nlohmann::json to_json(const TaskSpec& spec);

enum class TaskStatus { succeeded, failed, cancelled, budget_exhausted };
std::string_view to_string(TaskStatus status);

// An agent result that validation refused, and why ("schema: /score: expected a number").
struct DroppedResult {
  std::string agent_id;
  std::string reason;
};

struct TaskResult {
  TaskStatus status = TaskStatus::failed;
  nlohmann::json answer;  // a string, or the JSON value when an output schema is given
  std::string error;      // failed: what went wrong
  std::string ended_by;   // budget_exhausted: "tokens", "cost" or "wall_time"
  std::vector<DroppedResult> dropped;
  llm::Usage usage;                                   // every request of the task, counted once
  nlohmann::json details = nlohmann::json::object();  // pattern specifics (votes, tests passed)
  // A repository task's {base, branch, head, files, patch, truncated, tests}; null otherwise.
  nlohmann::json repository;
};
nlohmann::json to_json(const TaskResult& result);

}  // namespace agents
