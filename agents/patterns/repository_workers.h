// What fan_out and dag do differently on a repository (docs/repositories.md): the planner sees
// the repository's files and splits the work by files and modules; each worker changes its own
// branch in its own worktree; the reduce step merges the branches (repository_merge.h) and the
// task's result.repository is the merged branch and its patch.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agents/patterns/pattern.h"
#include "agents/runtime/task_context.h"

namespace agents::patterns {

// At most this many of the base tree's files are listed for the planner.
inline constexpr size_t kMaxPlannerFiles = 300;

// For the planner's prompt: how the work is done and the base tree's files (cut); empty for a
// task without a repository.
boost::asio::awaitable<std::string> repository_overview(runtime::TaskContext& task);

// For a worker's prompt on a repository task.
std::string repository_worker_note();

// Merges `branches` (intents: agent id -> what it was asked to do) and sets result.repository
// (and details.repository). A summary of the merge for the reducer's prompt, or nullopt when
// the task fails (result.error says why: the merge or the merged tree's tests).
boost::asio::awaitable<std::optional<std::string>> merge_into_result(
    runtime::TaskContext& task, PatternResult& result, std::vector<runtime::AgentBranch> branches,
    const std::map<std::string, std::string>& intents);

}  // namespace agents::patterns
