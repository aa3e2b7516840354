#include "agents/patterns/repository_result.h"

#include "base/coroutine_warning.h"

namespace agents::patterns {

AGENTD_COROUTINE_FRAMES_BEGIN

boost::asio::awaitable<nlohmann::json> repository_result(runtime::TaskContext& task,
                                                         const runtime::AgentBranch& branch,
                                                         nlohmann::json tests) {
  runtime::TaskRepository& repository = *task.repository();
  nlohmann::json out = {{"base", repository.base()},
                        {"branch", branch.branch},
                        {"head", branch.head},
                        {"tests", std::move(tests)}};
  if (auto kept = co_await task.blocking([&] { return repository.keep(branch.branch); }); !kept)
    out["keep_error"] = kept.error().message;
  auto patch = co_await task.blocking(
      [&] { return repository.diff(repository.base(), branch.head, kMaxResultPatchBytes); });
  if (!patch) {
    out["error"] = patch.error().message;
    co_return out;
  }
  out["files"] = patch->files;
  out["patch"] = std::move(patch->text);
  out["truncated"] = patch->truncated;
  co_return out;
}

AGENTD_COROUTINE_FRAMES_END

}  // namespace agents::patterns
