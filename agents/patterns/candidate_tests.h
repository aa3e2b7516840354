// Running a best_of_n candidate against the task's tests, all at once. A program test runs the
// candidate with its stdin in a sandbox of its own and is judged here, outside it: stdout
// (trailing whitespace of lines and trailing blank lines ignored), exit status, and files left
// in its workspace. The Python script tests all go to one harness run (test_harness.h), where
// the verdicts are reached in a sandbox the candidate's code never runs in. Each test (each test
// function of a script) has its own time limit; the candidate's exit status alone never passes
// a test.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agents/task_spec.h"
#include "policies/compile.h"
#include "sandbox/result.h"

namespace agents::runtime {
class TaskContext;
}

namespace agents::patterns {

struct TestOutcome {
  size_t test = 0;  // index into the task's tests
  std::string name;
  bool passed = false;
  // What the candidate did, for grouping candidates by behaviour: a program test's status,
  // normalised stdout and files; a script case's digest of every call and its answer.
  std::string output;
  std::string detail;  // why it failed ("exited with status 1, expected 0", "stdout differs")
};

struct CandidateRun {
  std::string agent_id;
  policies::Language language = policies::Language::python;
  std::string code;
  std::filesystem::path workspace;  // the coder's; empty when the task has no workspace root
};

// Stdout compared the way tests compare it.
std::string normalize_output(std::string_view text);
// The program inside a model's answer: the body of its first fenced code block, if any.
std::string extract_code(const std::string& answer);

// Every test of `tests` against `candidate`, outcomes in the tests' order (a script test gives
// one outcome per test function it has). Tests run under `test_policy`; the candidate's own
// code under `candidate_policy`.
struct CandidateTesting {
  std::vector<TestOutcome> outcomes;
  // The candidate's functions the script tests called with plain arguments ({function, args,
  // kwargs}, wire-encoded), the probes the harness made of them, and what each probe did.
  nlohmann::json calls = nlohmann::json::array();
  nlohmann::json probe_calls = nlohmann::json::array();
  std::vector<std::string> probe_digests;
  std::filesystem::path build;  // a C or C++ candidate's compiled program (candidate_build.h)
};

boost::asio::awaitable<CandidateTesting> run_candidate_tests(
    runtime::TaskContext& task, const policies::Compiled& test_policy,
    const policies::Compiled& candidate_policy, const CandidateRun& candidate,
    const std::vector<TestCase>& tests);

// What `candidate` does with `stdin_data` within `limit` (as TestOutcome::output): a behaviour
// probe, judged by nothing but its agreement with other candidates.
boost::asio::awaitable<std::string> probe_program(
    runtime::TaskContext& task, const policies::Compiled& policy, const CandidateRun& candidate,
    const std::filesystem::path& build, std::string stdin_data, std::chrono::milliseconds limit);

// A program test's verdict from its sandbox's result and the files it left (`files`: the
// expected paths' contents as found, absent where there was none).
TestOutcome judge_program_test(const TestCase& test, const sandbox::Result& result,
                               const std::map<std::string, std::optional<std::string>>& files);

}  // namespace agents::patterns
