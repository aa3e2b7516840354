#include "agents/patterns/candidate_build.h"

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agents/patterns/candidate_tests.h"
#include "agents/runtime/sandbox_spec.h"
#include "agents/runtime/task_context.h"
#include "base/coroutine_warning.h"
#include "sandbox/runner.h"

namespace agents::patterns {

namespace asio = boost::asio;

AGENTD_COROUTINE_FRAMES_BEGIN
asio::awaitable<base::Expected<std::filesystem::path>> build_candidate(
    runtime::TaskContext& task, const policies::Compiled& policy, const CandidateRun& candidate) {
  if (!runtime::is_compiled(candidate.language) || task.env.workspace_root.empty())
    co_return std::filesystem::path();
  auto dir = task.make_workspace(candidate.agent_id + "-build");
  if (!dir) co_return dir.error();
  runtime::RunCodeRequest request;
  request.language = candidate.language;
  request.code = candidate.code;
  request.workspace = *dir;
  request.compile_to = "/workspace/solution";
  auto builder = runtime::SandboxSpecBuilder::prepare(policy, request);
  if (!builder) co_return builder.error();
  sandbox::Result result = co_await task.env.runner.async_run(
      co_await asio::this_coro::executor, std::move(*builder).build_without_gpus(task.env.gpus),
      asio::use_awaitable);
  if (result.status != sandbox::RunStatus::ok) {
    const std::string& err = result.stderr_data;
    co_return base::Error{"the candidate does not compile (status " +
                          std::string(sandbox::to_string(result.status)) +
                          "): " + err.substr(err.size() > 2000 ? err.size() - 2000 : 0)};
  }
  co_return *dir;
}
AGENTD_COROUTINE_FRAMES_END

void run_built(runtime::RunCodeRequest& request, const std::filesystem::path& build) {
  if (build.empty()) return;
  request.extra_mounts.push_back({sandbox::MountType::ro_bind, build.string(), kBuildMount, 0});
  request.compiled = kBuiltProgram;
}

}  // namespace agents::patterns
