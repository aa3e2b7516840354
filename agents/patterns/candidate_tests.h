// Running a best_of_n candidate program against the task's tests, each test in its own
// sandbox, all of them in parallel. A stdin test passes when the program's stdout equals the
// expected text (trailing whitespace of lines and trailing blank lines ignored); a script
// test runs with the candidate in the workspace as solution.<ext> and passes when it exits 0.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "agents/task_spec.h"
#include "policies/compile.h"

namespace agents::runtime {
class TaskContext;
}

namespace agents::patterns {

struct TestOutcome {
  std::string name;
  bool passed = false;
  std::string output;  // the program's stdout, normalised, for agreement between candidates
  std::string detail;  // why it failed ("status timeout", "stdout differs")
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
std::string_view source_extension(policies::Language language);

boost::asio::awaitable<std::vector<TestOutcome>> run_candidate_tests(
    runtime::TaskContext& task, const policies::Compiled& policy, const CandidateRun& candidate,
    const std::vector<TestCase>& tests);

}  // namespace agents::patterns
