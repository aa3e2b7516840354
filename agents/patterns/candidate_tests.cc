#include "agents/patterns/candidate_tests.h"

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agents/patterns/candidate_build.h"
#include "agents/patterns/test_harness.h"
#include "agents/runtime/nursery.h"
#include "agents/runtime/run_code.h"
#include "agents/runtime/sandbox_spec.h"
#include "agents/runtime/task_context.h"
#include "agents/runtime/toolbox.h"
#include "agents/tools/workspace.h"
#include "base/coroutine_warning.h"
#include "sandbox/runner.h"

namespace agents::patterns {

namespace asio = boost::asio;

std::string normalize_output(std::string_view text) {
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.remove_suffix(1);
    out.append(line);
    out += '\n';
    start = end + 1;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string extract_code(const std::string& answer) {
  const size_t open = answer.find("```");
  if (open == std::string::npos) return answer;
  const size_t body = answer.find('\n', open);
  if (body == std::string::npos) return answer;
  const size_t close = answer.find("```", body + 1);
  return answer.substr(body + 1, close == std::string::npos ? std::string::npos : close - body - 1);
}

TestOutcome judge_program_test(const TestCase& test, const sandbox::Result& result,
                               const std::map<std::string, std::optional<std::string>>& files) {
  TestOutcome out;
  out.name = test.name;
  out.output = std::string(sandbox::to_string(result.status)) + ' ' +
               std::to_string(result.exit_code) + '\n' + normalize_output(result.stdout_data);
  for (const auto& [path, content] : files)
    out.output += '\x1f' + path + '\x1e' +
                  (content ? *content
                           : std::string("\x01"
                                         "absent"));
  const bool exited =
      result.status == sandbox::RunStatus::ok || result.status == sandbox::RunStatus::exit_nonzero;
  if (!exited) {
    out.detail = "status " + std::string(sandbox::to_string(result.status));
    if (result.status == sandbox::RunStatus::timeout)
      out.detail += " (the test's limit is " + std::to_string(test.time_limit.count()) + " ms)";
  } else if (result.exit_code != test.expected_exit_status) {
    out.detail = "exited with status " + std::to_string(result.exit_code) + ", expected " +
                 std::to_string(test.expected_exit_status);
  } else if (test.expected_stdout &&
             normalize_output(result.stdout_data) != normalize_output(*test.expected_stdout)) {
    out.detail = "stdout differs from the expected output";
  } else {
    for (const auto& [path, expected] : test.expected_files) {
      auto found = files.find(path);
      if (found == files.end() || !found->second) {
        out.detail = "the program left no file " + path;
        return out;
      }
      if (*found->second != expected) {
        out.detail = "file " + path + " differs from the expected content";
        return out;
      }
    }
    out.passed = true;
  }
  return out;
}

namespace {

// The expected files as the program left them, read without following links.
std::map<std::string, std::optional<std::string>> read_expected_files(
    const TestCase& test, const std::filesystem::path& workspace) {
  std::map<std::string, std::optional<std::string>> files;
  if (test.expected_files.empty()) return files;
  auto opened = tools::Workspace::open(workspace.string());
  for (const auto& [path, expected] : test.expected_files) {
    files[path] = std::nullopt;
    if (!opened) continue;
    auto content = opened->read_file(path);
    if (content && !content->truncated) files[path] = std::move(content->data);
  }
  return files;
}

AGENTD_COROUTINE_FRAMES_BEGIN
// A program test: the candidate with the test's stdin, in the coder's workspace, or in a fresh
// one with the task's input files when the test checks the files it writes.
asio::awaitable<void> run_program_test(runtime::TaskContext& task, const policies::Compiled& policy,
                                       const CandidateRun& candidate,
                                       const std::filesystem::path& build, size_t index,
                                       const TestCase& test, TestOutcome& out) {
  out = {index, test.name, false, "", ""};
  runtime::RunCodeRequest request;
  request.workspace = candidate.workspace;
  run_built(request, build);
  if (!test.expected_files.empty()) {
    if (task.env.workspace_root.empty()) {
      out.detail = "a test of the files a program writes needs the daemon's workspace root";
      co_return;
    }
    auto fresh = task.make_workspace(candidate.agent_id + "-test-" + std::to_string(index + 1));
    if (!fresh) {
      out.detail = "workspace: " + fresh.error().message;
      co_return;
    }
    request.workspace = *fresh;
  }
  request.language = candidate.language;
  request.code = candidate.code;
  request.stdin_data = test.stdin_data;
  auto builder = runtime::SandboxSpecBuilder::prepare(policy, request, test.time_limit);
  if (!builder) {
    out.detail = builder.error().message;
    co_return;
  }
  // The test runs the coder's program: GPUs as its run_code would get them, or none visible.
  auto gpus = co_await runtime::lease_gpus_for_sandbox(task, candidate.agent_id, policy);
  if (!gpus) {
    out.detail = gpus.error().message;
    co_return;
  }
  auto spec = std::move(*builder).build(*gpus, task.env.gpus);
  if (!spec) {
    out.detail = spec.error().message;
    co_return;
  }
  sandbox::Result result = co_await task.env.runner.async_run(
      co_await asio::this_coro::executor, std::move(*spec), asio::use_awaitable);
  gpus->release();
  out = judge_program_test(test, result, read_expected_files(test, request.workspace));
  out.test = index;
}

// The script tests' outcomes from one harness run: every case the harness found, in order; a
// case it never reported (it was stopped, or the scripts could not run) failed with its error.
std::vector<TestOutcome> script_outcomes(const HarnessReport& report,
                                         const std::vector<size_t>& indexes,
                                         const std::vector<TestCase>& tests) {
  std::vector<TestOutcome> outcomes;
  for (size_t script = 0; script < indexes.size(); ++script) {
    const TestCase& test = tests[indexes[script]];
    std::vector<std::string> names = report.expected[script];
    if (names.empty()) names.push_back(test.name);
    for (const std::string& name : names) {
      const std::string label = name == test.name ? name : test.name + ": " + name;
      TestOutcome out{indexes[script], label, false, "", report.error};
      for (const HarnessCase& c : report.cases)
        if (c.script == script && c.name == name) {
          out.passed = c.passed;
          out.detail = c.detail;
          out.output = c.behaviour;
        }
      if (out.detail.empty() && !out.passed) out.detail = "the harness did not report this test";
      outcomes.push_back(std::move(out));
    }
  }
  return outcomes;
}

asio::awaitable<void> run_scripts(runtime::TaskContext& task, const policies::Compiled& policy,
                                  const policies::Compiled& candidate_policy,
                                  const CandidateRun& candidate, const std::vector<TestCase>& tests,
                                  std::vector<size_t> indexes, CandidateTesting& out) {
  HarnessJob job;
  for (size_t i : indexes) job.scripts.push_back(&tests[i]);
  HarnessReport report = co_await run_harness(task, policy, candidate_policy, candidate, job);
  out.outcomes = script_outcomes(report, indexes, tests);
  for (const nlohmann::json& calls : report.calls)
    for (const nlohmann::json& call : calls) out.calls.push_back(call);
  out.probe_calls = std::move(report.probe_calls);
  out.probe_digests = std::move(report.probes);
  if (!report.complete) out.probe_digests.emplace_back("incomplete");
}

}  // namespace

asio::awaitable<std::string> probe_program(
    runtime::TaskContext& task, const policies::Compiled& policy, const CandidateRun& candidate,
    const std::filesystem::path& build, std::string stdin_data, std::chrono::milliseconds limit) {
  TestCase probe;
  probe.stdin_data = std::move(stdin_data);
  probe.time_limit = limit;
  TestOutcome out;
  co_await run_program_test(task, policy, candidate, build, 0, probe, out);
  co_return out.output;
}

asio::awaitable<CandidateTesting> run_candidate_tests(runtime::TaskContext& task,
                                                      const policies::Compiled& test_policy,
                                                      const policies::Compiled& candidate_policy,
                                                      const CandidateRun& candidate,
                                                      const std::vector<TestCase>& tests) {
  CandidateTesting testing;
  if (!candidate.workspace.empty()) {
    // The coder's workspace exists only if its agent used a tool that needed it.
    if (auto made = task.make_workspace(candidate.agent_id); !made) {
      for (size_t i = 0; i < tests.size(); ++i)
        testing.outcomes.push_back(
            {i, tests[i].name, false, "", "workspace: " + made.error().message});
      co_return testing;
    }
  }
  std::vector<TestOutcome> programs(tests.size());
  CandidateTesting scripts;
  std::vector<size_t> script_indexes;
  const bool any_program =
      std::any_of(tests.begin(), tests.end(), [](const TestCase& t) { return t.code.empty(); });
  // (Not a co_await inside ?:, which g++ 12 miscompiles.)
  base::Expected<std::filesystem::path> build = std::filesystem::path();
  if (any_program) build = co_await build_candidate(task, candidate_policy, candidate);
  if (build) testing.build = *build;
  runtime::Nursery runs(co_await asio::this_coro::executor);
  for (size_t i = 0; i < tests.size(); ++i) {
    if (!tests[i].code.empty())
      script_indexes.push_back(i);
    else if (!build)
      programs[i] = {i, tests[i].name, false, "", build.error().message};
    else
      runs.spawn(run_program_test(task, candidate_policy, candidate, testing.build, i, tests[i],
                                  programs[i]));
  }
  if (!script_indexes.empty())
    runs.spawn(run_scripts(task, test_policy, candidate_policy, candidate, tests, script_indexes,
                           scripts));
  co_await runs.join();
  size_t next_script = 0;
  for (size_t i = 0; i < tests.size(); ++i) {
    if (tests[i].code.empty()) {
      testing.outcomes.push_back(std::move(programs[i]));
      continue;
    }
    while (next_script < scripts.outcomes.size() && scripts.outcomes[next_script].test == i)
      testing.outcomes.push_back(std::move(scripts.outcomes[next_script++]));
  }
  testing.calls = std::move(scripts.calls);
  testing.probe_calls = std::move(scripts.probe_calls);
  testing.probe_digests = std::move(scripts.probe_digests);
  co_return testing;
}

AGENTD_COROUTINE_FRAMES_END

}  // namespace agents::patterns
