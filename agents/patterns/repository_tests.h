// How a repository's own tests judge a tree (issue 13: "a candidate cannot change what judges
// it"). The caller makes the tree with repo::make_test_tree (the candidate's commit with its
// tests and runner configuration from the base commit, protected_path_matcher deciding which
// paths those are, plus the task's hidden tests) and hands its directory here. The tree is bound
// at the sandbox's /workspace, setup_command runs, then test_command. Where test_command has a
// "{junit_xml}" argument the runner writes a JUnit XML report there; it is read outside the
// sandbox (never through a link) and checked against the ids the base commit's run reported, so
// a run that drops tests fails them. Without the placeholder, the verdict is the exit status.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/patterns/candidate_tests.h"
#include "agents/task_spec.h"
#include "policies/compile.h"
#include "repo/junit.h"
#include "sandbox/result.h"

namespace agents::runtime {
class TaskContext;
}

namespace agents::patterns {

inline constexpr std::string_view kJunitPlaceholder = "{junit_xml}";
inline constexpr size_t kMaxTestOutputTail = 4096;

// The globs (policies/workspace_path.h syntax) of what judges a candidate when the task names
// none: test directories and files, the test runners' configuration, and files that load code
// into every interpreter.
const std::vector<std::string>& default_protected_paths();

// Whether a path of the tree ("tests/test_x.py") is protected: matched by the spec's
// protected_paths, or by the defaults when it names none.
std::function<bool(std::string_view)> protected_path_matcher(const RepositorySpec& spec);

struct RepositoryTesting {
  // One per base test (in base_ids' order), or per reported case on the base run; one named
  // "test_command" when the verdict is the exit status. TestOutcome::test indexes this list;
  // output is the case's outcome as reported ("passed", "failed", "error", "skipped", "absent").
  std::vector<TestOutcome> outcomes;
  std::vector<std::string> ids;  // what the run reported, skipped cases left out
  bool from_report = false;      // test_command writes a report; false: exit status only
  sandbox::RunStatus status = sandbox::RunStatus::setup_error;  // of the last command run
  int exit_code = -1;
  std::string output_tail;  // the end of its stdout and stderr, at most kMaxTestOutputTail
  std::string error;        // a command that could not start (every test failed with it)
};

// `command` in a sandbox of `policy` with `tree` bound read-write at /workspace (as agent
// `agent_id`: GPUs as its run_code would get them): the runs of test_command and setup_command.
boost::asio::awaitable<base::Expected<sandbox::Result>> run_in_tree(
    runtime::TaskContext& task, const policies::Compiled& policy, const std::string& agent_id,
    const std::filesystem::path& tree, const std::vector<std::string>& command);

// Runs the repository's tests in `tree` under `policy` (its limits, wall time included, for each
// command) as agent `agent_id`, and emits "repository.tests" {passed, total, from_report}.
// `base_ids` empty: this is the base commit's run, and every case it reports (skipped ones
// aside) is an outcome; otherwise one outcome per base id: passed only if this run reported it
// passed.
boost::asio::awaitable<RepositoryTesting> run_repository_tests(
    runtime::TaskContext& task, const policies::Compiled& policy, const std::string& agent_id,
    const std::filesystem::path& tree, const std::vector<std::string>& base_ids);

// The verdicts of a parsed report, as run_repository_tests reaches them (outcomes and ids).
void judge_report(const std::vector<repo::JunitCase>& cases,
                  const std::vector<std::string>& base_ids, RepositoryTesting& testing);

}  // namespace agents::patterns
