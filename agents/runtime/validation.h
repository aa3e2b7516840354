// Validation before aggregation: an agent's result counts only if the agent answered, used
// no tool outside its policy (the audit: every refused or unknown tool call is a mark against
// it, since a result shaped by an attempt to leave the policy is not trusted), and its answer
// matches the task's output schema when one applies. Tests are the patterns' business
// (best_of_n runs them).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agents/runtime/agent.h"

namespace agents::runtime {

// Why `outcome` must not count ("audit: refused write_file: ..."), or nullopt.
std::optional<std::string> invalid_reason(const AgentOutcome& outcome,
                                          const std::optional<nlohmann::json>& schema);

class TaskContext;
// invalid_reason, and when there is one, the result is dropped on the task (reported).
bool accept_result(TaskContext& task, const AgentOutcome& outcome,
                   const std::optional<nlohmann::json>& schema = std::nullopt);

}  // namespace agents::runtime
