#include "agents/patterns/candidate_tests.h"

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agents/runtime/nursery.h"
#include "agents/runtime/run_code.h"
#include "agents/runtime/sandbox_spec.h"
#include "agents/runtime/task_context.h"
#include "agents/runtime/toolbox.h"
#include "agents/tools/workspace.h"
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

std::string_view source_extension(policies::Language language) {
  switch (language) {
    case policies::Language::python:
      return "py";
    case policies::Language::bash:
      return "sh";
    case policies::Language::c:
      return "c";
    case policies::Language::cpp:
      return "cc";
    case policies::Language::node:
      return "js";
  }
  return "txt";
}

namespace {

asio::awaitable<void> run_one(runtime::TaskContext& task, const policies::Compiled& policy,
                              const CandidateRun& candidate, const TestCase& test,
                              TestOutcome& out) {
  out.name = test.name;
  runtime::RunCodeRequest request;
  request.workspace = candidate.workspace;
  if (test.code.empty()) {
    request.language = candidate.language;
    request.code = candidate.code;
    request.stdin_data = test.stdin_data;
  } else {
    request.language = *policies::parse_language(test.language);
    request.code = test.code;
  }
  auto builder = runtime::SandboxSpecBuilder::prepare(policy, request);
  if (!builder) {
    out.detail = builder.error().message;
    co_return;
  }
  // The tests run the coder's program: GPUs as its run_code would get them, or none visible.
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
  out.output = normalize_output(result.stdout_data);
  if (result.status != sandbox::RunStatus::ok) {
    out.detail = "status " + std::string(sandbox::to_string(result.status));
  } else if (test.expected_stdout && out.output != normalize_output(*test.expected_stdout)) {
    out.detail = "stdout differs from the expected output";
  } else {
    out.passed = true;
  }
}

// Script tests import or run the candidate from the workspace.
bool place_candidate(const CandidateRun& candidate, const std::vector<TestCase>& tests,
                     std::string& error) {
  bool needed = false;
  for (const TestCase& test : tests) needed = needed || !test.code.empty();
  if (!needed) return true;
  if (candidate.workspace.empty()) {
    error = "script tests need a workspace (the daemon has no workspace root)";
    return false;
  }
  auto workspace = tools::Workspace::open(candidate.workspace.string());
  if (!workspace) {
    error = workspace.error().message;
    return false;
  }
  const std::string name = "solution." + std::string(source_extension(candidate.language));
  if (auto s = workspace->write_file(name, candidate.code); !s) {
    error = s.error().message;
    return false;
  }
  return true;
}

}  // namespace

asio::awaitable<std::vector<TestOutcome>> run_candidate_tests(runtime::TaskContext& task,
                                                              const policies::Compiled& policy,
                                                              const CandidateRun& candidate,
                                                              const std::vector<TestCase>& tests) {
  std::vector<TestOutcome> outcomes(tests.size());
  std::string error;
  // The coder's workspace exists only if its agent used a tool that needed it.
  bool placed = true;
  if (!candidate.workspace.empty()) {
    auto made = task.make_workspace(candidate.agent_id);
    if (!made) error = "workspace: " + made.error().message;
    placed = made.ok();
  }
  if (!placed || !place_candidate(candidate, tests, error)) {
    for (size_t i = 0; i < tests.size(); ++i) outcomes[i] = {tests[i].name, false, "", error};
    co_return outcomes;
  }
  runtime::Nursery runs(co_await asio::this_coro::executor);
  for (size_t i = 0; i < tests.size(); ++i)
    runs.spawn(run_one(task, policy, candidate, tests[i], outcomes[i]));
  co_await runs.join();
  co_return outcomes;
}

}  // namespace agents::patterns
