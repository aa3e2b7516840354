// The reduce step of fan_out and dag on a repository (docs/repositories.md): the workers'
// branches merged, one after another in the order of their agents' ids (never the order they
// ended in), onto a branch of the merger's own, checked out in a worktree of its own
// (repo/merge.h). A conflict goes to a merge agent that works in that worktree; what it leaves
// becomes the merge commit, unless a conflict marker remains or it fails: then that branch is
// left out (and reported) and the others are kept. When the spec has a test_command, the merged
// tree then runs the repository's tests (protected paths from the base, hidden tests added, as
// for best_of_n's candidates) and must pass them all.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agents/runtime/task_context.h"

namespace agents::patterns {

struct LeftOutBranch {
  std::string agent_id;
  std::string branch;
  std::string reason;  // "the merge agent left conflict markers in shared.py"
};

struct RepositoryMerge {
  bool succeeded = false;
  std::string error;                     // not succeeded: why (a failed test run says which)
  runtime::AgentBranch merged;           // the merger's branch at the merged head
  std::vector<std::string> merged_from;  // the agents whose branches are in it
  std::vector<std::string> conflicts;    // the agents whose branches conflicted
  std::vector<LeftOutBranch> left_out;
  nlohmann::json tests;  // the merged tree's run ({passed, total, failed, ...}); null: none
};

// Merges `branches` (the workers'; `intents` maps each agent id to what it was asked to do, for
// the merge agent's prompt) and tests the result. Emits "repository.merged" {branch, head,
// merged, conflicts, left_out}. Needs task.repository().
boost::asio::awaitable<RepositoryMerge> merge_branches(
    runtime::TaskContext& task, std::vector<runtime::AgentBranch> branches,
    const std::map<std::string, std::string>& intents);

// "worker-2" before "worker-10": agent ids by role, then by their number.
bool agent_id_less(const std::string& a, const std::string& b);

}  // namespace agents::patterns
