// What a repository task returns (result.repository, docs/repositories.md): the branch that
// holds the outcome, its head, the files it changed against the base and the unified patch
// (capped; the branch holds all of it), plus the test runs that judged it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "agents/runtime/task_context.h"

namespace agents::patterns {

inline constexpr size_t kMaxResultPatchBytes = 1 << 20;

// {base, branch, head, files, patch, truncated, tests: `tests`} for `branch` (against the
// task's base). An error leaves "error" in place of the patch.
boost::asio::awaitable<nlohmann::json> repository_result(runtime::TaskContext& task,
                                                         const runtime::AgentBranch& branch,
                                                         nlohmann::json tests);

}  // namespace agents::patterns
