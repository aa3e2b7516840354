#include "agents/patterns/repository_tests.h"

#include <algorithm>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>

#include "agents/runtime/run_code.h"
#include "agents/runtime/sandbox_spec.h"
#include "agents/runtime/task_context.h"
#include "agents/runtime/toolbox.h"
#include "agents/tools/workspace.h"
#include "base/coroutine_warning.h"
#include "base/random_id.h"
#include "base/strings.h"
#include "policies/workspace_path.h"
#include "sandbox/runner.h"

namespace agents::patterns {

namespace asio = boost::asio;

const std::vector<std::string>& default_protected_paths() {
  static const std::vector<std::string> globs = {
      // Test directories: where the tests that judge a candidate live, with their fixtures,
      // data and snapshots (a candidate that rewrites the expected snapshot passes anything).
      "test/**", "tests/**", "testing/**", "**/test/**", "**/tests/**", "**/__tests__/**",
      "spec/**", "**/testdata/**", "**/__snapshots__/**",
      // Test files beside the code, by each ecosystem's naming convention.
      "**/test_*.py", "**/*_test.py", "**/*_test.go", "**/*.test.js", "**/*.spec.js",
      "**/*.test.ts", "**/*.spec.ts", "**/*.test.jsx", "**/*.spec.jsx", "**/*.test.tsx",
      "**/*.spec.tsx", "**/*.test.mjs", "**/*.test.cjs", "**/*_spec.rb", "**/*_test.rb",
      "**/*Test.java", "**/*Tests.java", "**/*_test.cc", "**/*_test.cpp", "**/*_test.rs",
      // Runner configuration: what decides which tests run and how (a candidate that adds
      // `addopts = -k "not test_bug"` or a conftest.py that skips every test passes anything).
      // package.json holds the script `npm test` runs. A task whose test_command is, say,
      // `make test` names its Makefile in protected_paths itself.
      "**/conftest.py", "**/pytest.ini", "**/.pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml",
      "noxfile.py", ".coveragerc", "package.json", "jest.config.*", "jest.setup.*",
      "vitest.config.*", "vitest.setup.*", ".mocharc*", "karma.conf.js", "playwright.config.*",
      "phpunit.xml*", ".rspec", "go.work",
      // Code every interpreter loads before the tests do: Python imports sitecustomize and
      // usercustomize from its path and runs `import` lines of .pth files at start-up; npm
      // passes an .npmrc's node-options (--require) to every node it starts.
      "**/sitecustomize.py", "**/usercustomize.py", "**/*.pth", ".npmrc"};
  return globs;
}

std::function<bool(std::string_view)> protected_path_matcher(const RepositorySpec& spec) {
  std::vector<std::string> globs =
      spec.protected_paths.empty() ? default_protected_paths() : spec.protected_paths;
  return [globs = std::move(globs)](std::string_view path) {
    const auto parsed = policies::WorkspacePath::parse(path);
    if (!parsed) return true;  // no path a tree can hold: the base's state is the safe one
    for (const std::string& glob : globs)
      if (policies::glob_matches(glob, *parsed)) return true;
    return false;
  };
}

void judge_report(const std::vector<repo::JunitCase>& cases,
                  const std::vector<std::string>& base_ids, RepositoryTesting& testing) {
  std::map<std::string_view, const repo::JunitCase*> reported;
  for (const repo::JunitCase& c : cases) {
    if (c.outcome == repo::JunitCase::Outcome::skipped) continue;
    reported.emplace(c.id, &c);
    testing.ids.push_back(c.id);
  }
  if (base_ids.empty()) {
    for (const std::string& id : testing.ids) {
      const repo::JunitCase& c = *reported.at(id);
      const bool passed = c.outcome == repo::JunitCase::Outcome::passed;
      testing.outcomes.push_back({testing.outcomes.size(), id, passed,
                                  std::string(repo::to_string(c.outcome)), c.message});
    }
    return;
  }
  for (const std::string& id : base_ids) {
    TestOutcome out{testing.outcomes.size(), id, false, "absent", ""};
    auto found = reported.find(id);
    if (found == reported.end()) {
      const bool skipped = std::any_of(cases.begin(), cases.end(),
                                       [&](const repo::JunitCase& c) { return c.id == id; });
      out.output = skipped ? "skipped" : "absent";
      out.detail = skipped ? "skipped (the base commit's run runs it)"
                           : "not reported (the base commit's run reports it)";
    } else {
      out.passed = found->second->outcome == repo::JunitCase::Outcome::passed;
      out.output = repo::to_string(found->second->outcome);
      out.detail = found->second->message;
    }
    testing.outcomes.push_back(std::move(out));
  }
}

namespace {

// test_command with "{junit_xml}" replaced, and the report's name in the tree (empty: the
// command has no placeholder).
struct TestCommand {
  std::vector<std::string> argv;
  std::string report;
};

TestCommand with_report_path(const std::vector<std::string>& command) {
  TestCommand out{command, ""};
  // 128 bits from the kernel: a name nothing in the tree can foresee (so nothing can be planted
  // at it before the run).
  const std::string name = ".agentd-junit-" + base::random_id("", 16) + ".xml";
  const std::string path = "/workspace/" + name;
  for (std::string& argument : out.argv)
    for (size_t at = argument.find(kJunitPlaceholder); at != std::string::npos;
         at = argument.find(kJunitPlaceholder, at + path.size())) {
      argument.replace(at, kJunitPlaceholder.size(), path);
      out.report = name;
    }
  return out;
}

bool exited_zero(const RepositoryTesting& testing) {
  return testing.status == sandbox::RunStatus::ok && testing.exit_code == 0;
}

// "exited with status 1", "ended with status timeout".
std::string describe(const RepositoryTesting& testing) {
  if (testing.status == sandbox::RunStatus::ok ||
      testing.status == sandbox::RunStatus::exit_nonzero)
    return "exited with status " + std::to_string(testing.exit_code);
  return "ended with status " + std::string(sandbox::to_string(testing.status));
}

std::string output_tail(const sandbox::Result& result) {
  // A sandbox that could not be built says why in `error` (which step, which errno).
  const std::string both =
      result.stdout_data + result.stderr_data + (result.error.empty() ? "" : "\n" + result.error);
  const size_t from = both.size() > kMaxTestOutputTail ? both.size() - kMaxTestOutputTail : 0;
  return base::valid_utf8(std::string_view(both).substr(from));
}

// Every base test fails with `reason`; on the base run, one outcome `name` does.
void fail_every(const std::vector<std::string>& base_ids, const std::string& name,
                const std::string& reason, RepositoryTesting& testing) {
  if (base_ids.empty()) testing.outcomes.push_back({0, name, false, "absent", reason});
  for (const std::string& id : base_ids)
    testing.outcomes.push_back({testing.outcomes.size(), id, false, "absent", reason});
}

base::Status check_command(const std::vector<std::string>& command, const char* which) {
  if (command.empty()) return base::Error{std::string("repository.") + which + " is empty"};
  for (const std::string& argument : command)
    if (argument.find('\0') != std::string::npos || argument.size() > runtime::kMaxCodeBytes)
      return base::Error{std::string("repository.") + which +
                         ": expected arguments without NUL bytes, of at most " +
                         std::to_string(runtime::kMaxCodeBytes) + " bytes"};
  return base::Ok{};
}

// The report the run left in the tree, read beneath it without following a link.
base::Expected<std::vector<repo::JunitCase>> read_report(const std::filesystem::path& tree,
                                                         const std::string& name) {
  tools::WorkspaceOptions options;
  options.max_read_bytes = repo::kMaxJunitBytes + 1;
  auto workspace = tools::Workspace::open(tree.string(), options);
  if (!workspace) return workspace.error();
  auto content = workspace->read_file(name);
  if (!content) return base::Error{"no JUnit report: " + content.error().message};
  if (content->truncated)
    return base::Error{"the JUnit report is larger than " +
                       std::to_string(repo::kMaxJunitBytes >> 20) + " MiB"};
  return repo::parse_junit(content->data);
}

AGENTD_COROUTINE_FRAMES_BEGIN
// Runs `command` and records its end in `testing`; false (every test failed, saying why) when
// it could not start or, for setup_command (`must_pass`), did not exit 0.
asio::awaitable<bool> run_step(runtime::TaskContext& task, const policies::Compiled& policy,
                               const std::string& agent_id, const std::filesystem::path& tree,
                               const std::vector<std::string>& command, const char* which,
                               bool must_pass, const std::vector<std::string>& base_ids,
                               RepositoryTesting& testing) {
  base::Expected<sandbox::Result> result = base::Error{"not run"};
  if (auto checked = check_command(command, which); !checked)
    result = checked.error();
  else
    result = co_await run_in_tree(task, policy, agent_id, tree, command);
  if (!result) {
    testing.error = std::string(which) + ": " + result.error().message;
    fail_every(base_ids, which, testing.error, testing);
    co_return false;
  }
  testing.status = result->status;
  testing.exit_code = result->exit_code;
  testing.output_tail = output_tail(*result);
  if (!must_pass || exited_zero(testing)) co_return true;
  fail_every(base_ids, which, std::string(which) + " " + describe(testing), testing);
  co_return false;
}

}  // namespace

// `command` in a sandbox of `policy` with `tree` at /workspace, writable whatever the policy
// says of agents' workspaces: the tree is this run's own copy, and runners write caches and
// their report into it. A shell prologue finds the program on PATH and keeps what it writes
// writable by the next sandbox (another uid), as run_code does.
asio::awaitable<base::Expected<sandbox::Result>> run_in_tree(
    runtime::TaskContext& task, const policies::Compiled& policy, const std::string& agent_id,
    const std::filesystem::path& tree, const std::vector<std::string>& command) {
  runtime::RunCodeRequest request;
  request.language = policies::Language::bash;
  request.workspace = tree;
  auto builder = runtime::SandboxSpecBuilder::prepare(policy, request);
  if (!builder) co_return builder.error();
  // The tests run the candidate's code: GPUs as its run_code would get them, or none visible.
  auto gpus = co_await runtime::lease_gpus_for_sandbox(task, agent_id, policy);
  if (!gpus) co_return gpus.error();
  auto spec = std::move(*builder).build(*gpus, task.env.gpus);
  if (!spec) co_return spec.error();
  sandbox::Spec run = policies::bind_workspace(std::move(*spec), tree.string(),
                                               policies::WorkspaceAccess::read_write);
  run.argv = {"/bin/sh", "-c", "umask 000; exec \"$@\"", "sh"};
  run.argv.insert(run.argv.end(), command.begin(), command.end());
  sandbox::Result result = co_await task.env.runner.async_run(co_await asio::this_coro::executor,
                                                              std::move(run), asio::use_awaitable);
  gpus->release();
  co_return result;
}

asio::awaitable<RepositoryTesting> run_repository_tests(runtime::TaskContext& task,
                                                        const policies::Compiled& policy,
                                                        const std::string& agent_id,
                                                        const std::filesystem::path& tree,
                                                        const std::vector<std::string>& base_ids) {
  RepositoryTesting testing;
  const RepositorySpec no_repository;
  const RepositorySpec& spec = task.spec.repository ? *task.spec.repository : no_repository;
  const TestCommand test = with_report_path(spec.test_command);
  testing.from_report = !test.report.empty();
  bool ran = true;
  if (!spec.setup_command.empty())
    ran = co_await run_step(task, policy, agent_id, tree, spec.setup_command, "setup_command", true,
                            base_ids, testing);
  if (ran)
    ran = co_await run_step(task, policy, agent_id, tree, test.argv, "test_command", false,
                            base_ids, testing);
  if (ran && !testing.from_report) {
    const bool passed = exited_zero(testing);
    testing.outcomes.push_back({0, "test_command", passed, passed ? "passed" : "failed",
                                passed ? "" : "test_command " + describe(testing)});
  } else if (ran) {
    auto cases = read_report(tree, test.report);
    if (cases)
      judge_report(*cases, base_ids, testing);
    else
      fail_every(base_ids, "test_command",
                 cases.error().message + " (test_command " + describe(testing) + ")", testing);
  }
  const auto passed = std::count_if(testing.outcomes.begin(), testing.outcomes.end(),
                                    [](const TestOutcome& o) { return o.passed; });
  task.emit("repository.tests", agent_id,
            {{"passed", passed},
             {"total", testing.outcomes.size()},
             {"from_report", testing.from_report}});
  co_return testing;
}

AGENTD_COROUTINE_FRAMES_END

}  // namespace agents::patterns
