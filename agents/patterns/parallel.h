// Running several agents of a pattern at once, each in its own branch of a Nursery, and
// collecting their outcomes in order. Cancelling the awaiting coroutine cancels them all.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agents/runtime/agent.h"
#include "agents/runtime/task_context.h"

namespace agents::patterns {

boost::asio::awaitable<std::vector<runtime::AgentOutcome>> run_agents(
    runtime::TaskContext& task, std::vector<runtime::AgentSpec> specs);

// The valid outcomes (runtime::accept_result); the others are dropped on the task.
std::vector<runtime::AgentOutcome> keep_valid(runtime::TaskContext& task,
                                              std::vector<runtime::AgentOutcome> outcomes,
                                              const std::optional<nlohmann::json>& schema = {});

// `summary` followed by why the task dropped results since `mark` (task.dropped().size() when
// the phase began), so that a task's error names the root cause ("the planner gave no valid
// plan: no answer (failed: model cheap: gave up after 3 attempts: HTTP 429 ...)") and not
// only the phase that came to nothing. Distinct reasons, at most three.
std::string with_causes(const runtime::TaskContext& task, size_t mark, std::string summary);

// "<label> 1 (agent worker-1):\n<answer>\n\n..." for prompts that show agents' answers.
std::string list_answers(const std::vector<runtime::AgentOutcome>& outcomes,
                         const std::string& label, size_t max_chars_each = 4000);

// Asks the task's "judge" role which of `entries` (each shown as "<label> N:\n<entry>") is the
// best for the task, told that they `tie_on` ("pass the same tests"); its answer must be
// {"choice": N}. The index chosen, or nullopt when the judge gave no valid choice (dropped on
// the task, as any invalid answer is).
boost::asio::awaitable<std::optional<size_t>> ask_judge(runtime::TaskContext& task,
                                                        const std::string& what,
                                                        const std::string& label,
                                                        const std::vector<std::string>& entries);

}  // namespace agents::patterns
