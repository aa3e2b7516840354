// The five orchestration patterns, each a coroutine over one task's context. A pattern
// returns what it concluded; run_task turns it into the TaskResult (budgets and cancellation
// take precedence over what the pattern says).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "agents/runtime/task_context.h"

namespace agents::patterns {

struct PatternResult {
  bool succeeded = false;
  nlohmann::json answer;
  std::string error;  // when not succeeded
  nlohmann::json details = nlohmann::json::object();
  // A repository task's outcome (repository_result.h); null for other tasks.
  nlohmann::json repository;
};

// fan_out (map-reduce): planner → subtasks (validated JSON) → workers in parallel → reducer.
boost::asio::awaitable<PatternResult> fan_out(runtime::TaskContext& task);
// dag (plan-then-execute, as in LLMCompiler): see dag.cc.
boost::asio::awaitable<PatternResult> dag(runtime::TaskContext& task);
// best_of_n (as in CodeMonkeys): candidates tested in parallel sandboxes, then selected.
boost::asio::awaitable<PatternResult> best_of_n(runtime::TaskContext& task);
// best_of_n on a repository: candidates are branches, the repository's tests judge them.
boost::asio::awaitable<PatternResult> best_of_n_on_repository(runtime::TaskContext& task);
// vote (self-consistency, optional debate): plurality with a quorum.
boost::asio::awaitable<PatternResult> vote(runtime::TaskContext& task);
// moa (mixture of agents): layers of proposers, then an aggregator.
boost::asio::awaitable<PatternResult> moa(runtime::TaskContext& task);

boost::asio::awaitable<PatternResult> run_pattern(runtime::TaskContext& task);

}  // namespace agents::patterns
