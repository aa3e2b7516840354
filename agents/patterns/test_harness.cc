#include "agents/patterns/test_harness.h"

#include <sys/socket.h>

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agents/harness/sources.h"
#include "agents/patterns/candidate_tests.h"
#include "agents/runtime/nursery.h"
#include "agents/runtime/sandbox_spec.h"
#include "agents/runtime/task_context.h"
#include "agents/runtime/toolbox.h"
#include "base/coroutine_warning.h"
#include "base/errno_text.h"
#include "base/random_id.h"
#include "sandbox/runner.h"

namespace agents::patterns {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

json job_json(const HarnessJob& job, const CandidateRun& candidate, const std::string& secret) {
  json scripts = json::array();
  for (const TestCase* test : job.scripts)
    scripts.push_back(
        {{"name", test->name}, {"code", test->code}, {"time_limit_ms", test->time_limit.count()}});
  return {{"secret", secret},
          {"language", policies::to_string(candidate.language)},
          {"scripts", std::move(scripts)},
          {"prepare_ms", 60000},
          {"probe_calls", job.probe_calls},
          {"probe_ms", job.probe_limit.count()}};
}

AGENTD_COROUTINE_FRAMES_BEGIN
// Owns what it writes and the GPUs its sandbox holds: if the caller's frame unwinds (the task is
// cancelled) while the sandbox still runs, nothing here points into the gone frame.
asio::awaitable<void> run_candidate(sandbox::Runner& runner, sandbox::Spec spec,
                                    runtime::GpuHold gpus,
                                    std::shared_ptr<sandbox::Result> result) {
  *result = co_await runner.async_run(co_await asio::this_coro::executor, std::move(spec),
                                      asio::use_awaitable);
  gpus.release();
}

std::string describe_end(const char* who, const sandbox::Result& result) {
  std::string text =
      std::string(who) + " ended with status " + std::string(sandbox::to_string(result.status));
  if (!result.error.empty()) text += " (" + result.error + ")";
  const std::string& err = result.stderr_data;
  if (!err.empty()) text += ": " + err.substr(err.size() > 600 ? err.size() - 600 : 0);
  return text;
}

// The sandbox that runs the candidate's server, or why it cannot run.
base::Expected<sandbox::Spec> candidate_spec(const policies::Compiled& policy,
                                             const CandidateRun& candidate,
                                             const runtime::GpuHold& gpus,
                                             const runtime::GpuProvider* provider) {
  runtime::RunCodeRequest request;
  request.code = std::string(harness::kCandidateServerSource);
  request.stdin_data = json{
      {"language", policies::to_string(candidate.language)},
      {"source",
       candidate.code}}.dump();
  request.workspace = candidate.workspace;
  return runtime::sandbox_spec(policy, request, gpus, provider);
}

// The field `key` of `event` if it has type T, else `fallback`. The test script runs in the
// harness's process and can print anything, the secret included: a report line is read as data
// that may be malformed, never trusted to have the shape the harness writes.
template <class T>
T field(const json& event, const char* key, T fallback) {
  auto it = event.find(key);
  if (it == event.end()) return fallback;
  if constexpr (std::is_same_v<T, bool>) {
    return it->is_boolean() ? it->get<bool>() : fallback;
  } else if constexpr (std::is_same_v<T, size_t>) {
    return it->is_number_unsigned() ? it->get<size_t>() : fallback;
  } else {
    return it->is_string() ? it->get<std::string>() : fallback;
  }
}

}  // namespace

HarnessReport parse_harness_report(const std::string& stdout_data, const std::string& secret,
                                   size_t scripts) {
  HarnessReport report;
  report.calls.assign(scripts, json::array());
  report.expected.resize(scripts);
  const std::string prefix = secret + " ";
  size_t start = 0;
  while (start < stdout_data.size()) {
    size_t end = stdout_data.find('\n', start);
    if (end == std::string::npos) end = stdout_data.size();
    const std::string_view line(stdout_data.data() + start, end - start);
    start = end + 1;
    if (line.substr(0, prefix.size()) != prefix) continue;
    const json event = json::parse(line.substr(prefix.size()), nullptr, false);
    if (!event.is_object()) continue;
    const std::string kind = field<std::string>(event, "event", "");
    const size_t script = field<size_t>(event, "script", scripts);
    const auto list = [&](const char* key) {
      auto it = event.find(key);
      return it != event.end() && it->is_array() ? *it : json::array();
    };
    if (kind == "script" && script < scripts) {
      for (const json& name : list("cases"))
        if (name.is_string()) report.expected[script].push_back(name.get<std::string>());
    } else if (kind == "case" && script < scripts) {
      report.cases.push_back(
          {script, field<std::string>(event, "name", ""), field<bool>(event, "passed", false),
           field<std::string>(event, "detail", ""), field<std::string>(event, "behaviour", "")});
    } else if (kind == "calls" && script < scripts) {
      report.calls[script] = list("calls");
    } else if (kind == "probes") {
      report.probe_calls = list("calls");
    } else if (kind == "probe") {
      report.probes.push_back(field<std::string>(event, "result", ""));
    } else if (kind == "done") {
      report.complete = true;
    }
  }
  return report;
}

asio::awaitable<HarnessReport> run_harness(runtime::TaskContext& task,
                                           const policies::Compiled& test_policy,
                                           const policies::Compiled& candidate_policy,
                                           const CandidateRun& candidate, const HarnessJob& job) {
  HarnessReport failed;
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    failed.error = "socketpair: " + base::errno_text(errno);
    co_return failed;
  }
  auto harness_end = std::make_shared<const base::UniqueFd>(pair[0]);
  auto candidate_end = std::make_shared<const base::UniqueFd>(pair[1]);

  auto gpus = co_await runtime::lease_gpus_for_sandbox(task, candidate.agent_id, candidate_policy);
  if (!gpus) {
    failed.error = gpus.error().message;
    co_return failed;
  }
  auto server = candidate_spec(candidate_policy, candidate, *gpus, task.env.gpus);
  if (!server) {
    failed.error = "the candidate's sandbox: " + server.error().message;
    co_return failed;
  }
  server->channel = std::move(candidate_end);

  // 128 bits from the kernel: what a line of the harness's report must begin with.
  const std::string secret = base::random_id("", 16);
  runtime::RunCodeRequest request;
  request.code = std::string(harness::kHarnessSource);
  request.stdin_data = job_json(job, candidate, secret).dump();
  auto harness = runtime::SandboxSpecBuilder::prepare(test_policy, request);
  if (!harness) {
    failed.error = "the harness's sandbox: " + harness.error().message;
    co_return failed;
  }
  sandbox::Spec harness_spec = std::move(*harness).build_without_gpus(task.env.gpus);
  harness_spec.channel = std::move(harness_end);

  // The candidate's sandbox lives exactly as long as the harness needs it.
  const auto executor = co_await asio::this_coro::executor;
  auto server_result = std::make_shared<sandbox::Result>();
  runtime::Nursery candidate_scope(executor);
  candidate_scope.spawn(
      run_candidate(task.env.runner, std::move(*server), std::move(*gpus), server_result));
  sandbox::Result harness_result =
      co_await task.env.runner.async_run(executor, std::move(harness_spec), asio::use_awaitable);
  candidate_scope.cancel();
  co_await candidate_scope.join();

  HarnessReport report =
      parse_harness_report(harness_result.stdout_data, secret, job.scripts.size());
  if (!report.complete) {
    report.error = describe_end("the test harness", harness_result);
    if (server_result->status != sandbox::RunStatus::signaled ||
        server_result->error != "cancelled")
      report.error += "; " + describe_end("the candidate's sandbox", *server_result);
  }
  co_return report;
}

AGENTD_COROUTINE_FRAMES_END

}  // namespace agents::patterns
