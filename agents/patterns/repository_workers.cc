#include "agents/patterns/repository_workers.h"

#include "agents/patterns/repository_merge.h"
#include "agents/patterns/repository_result.h"
#include "base/coroutine_warning.h"
#include "repo/tree_list.h"

namespace agents::patterns {

namespace asio = boost::asio;
using nlohmann::json;

std::string repository_worker_note() {
  return "\n\nYou work on a git worktree of the repository, checked out at /workspace on a "
         "branch of your own; other agents work on other parts at the same time, each on its "
         "own branch, and the branches are merged afterwards. Change only what your subtask "
         "needs, with your tools; what you leave in /workspace is your result. Then answer with "
         "a one-paragraph summary of your change.";
}

namespace {

std::string merge_summary(const RepositoryMerge& merge) {
  std::string text = "The workers' branches were merged into " + merge.merged.branch + ".";
  if (!merge.merged_from.empty()) {
    text += " Merged:";
    for (const std::string& id : merge.merged_from) text += " " + id;
    text += ".";
  }
  for (const LeftOutBranch& l : merge.left_out)
    text += " Left out: " + l.agent_id + " (" + l.reason + ").";
  if (merge.tests.is_object())
    text += " The merged tree passed " + merge.tests["passed"].dump() + " of " +
            merge.tests["total"].dump() + " of the repository's tests.";
  return text + "\n\n";
}

}  // namespace

AGENTD_COROUTINE_FRAMES_BEGIN

asio::awaitable<std::string> repository_overview(runtime::TaskContext& task) {
  runtime::TaskRepository* repository = task.repository();
  if (!repository) co_return std::string();
  auto listing = co_await task.blocking([&] {
    return repository->locked([&](repo::Repository& r) {
      return repo::list_files(r, repository->base(), kMaxPlannerFiles);
    });
  });
  std::string text =
      "\n\nThe task works on a git repository. Each subtask goes to an agent that changes the "
      "repository on a branch of its own, in parallel with the others; the branches are merged "
      "afterwards. Split the work by files or modules, so that no two subtasks change the same "
      "file, and name in each subtask the files it should change.";
  if (!listing) co_return text + "\n(The repository's files could not be listed.)";
  text += "\nThe repository's files (" + std::to_string(listing->total) + "):";
  for (const std::string& path : listing->paths) text += "\n" + path;
  if (listing->total > listing->paths.size())
    text += "\n... and " + std::to_string(listing->total - listing->paths.size()) + " more";
  co_return text;
}

asio::awaitable<std::optional<std::string>> merge_into_result(
    runtime::TaskContext& task, PatternResult& result, std::vector<runtime::AgentBranch> branches,
    const std::map<std::string, std::string>& intents) {
  std::erase_if(branches, [](const runtime::AgentBranch& b) { return b.head == b.base; });
  RepositoryMerge merge = co_await merge_branches(task, std::move(branches), intents);
  std::vector<json> left_out;
  for (const LeftOutBranch& l : merge.left_out)
    left_out.push_back({{"agent", l.agent_id}, {"branch", l.branch}, {"reason", l.reason}});
  result.details["repository"] = {
      {"merged", merge.merged_from}, {"conflicts", merge.conflicts}, {"left_out", left_out}};
  if (!merge.merged.head.empty())
    result.repository = co_await repository_result(task, merge.merged, merge.tests);
  if (!merge.succeeded) {
    result.error = merge.error;
    co_return std::nullopt;
  }
  co_return merge_summary(merge);
}

AGENTD_COROUTINE_FRAMES_END

}  // namespace agents::patterns
