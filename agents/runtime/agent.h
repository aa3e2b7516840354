// An agent: a coroutine running the tool loop. Model turn → tool calls (independent calls of
// one turn run in parallel) → results back to the model, until it calls final_answer (or
// answers without tools), or a budget runs out: the agent's own (turns, tool calls, tokens,
// from its policy) or the task's. Human feedback reaches it at its next turn. A malformed
// response, invalid tool arguments or an unknown tool become messages the model can recover
// from; an answer that does not validate against the expected schema is sent back too.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agents/llm/chat.h"
#include "agents/runtime/task_repository.h"
#include "agents/runtime/toolbox.h"
#include "policies/compile.h"

namespace agents::runtime {

class TaskContext;

struct AgentSpec {
  std::string role;  // a role of the task spec: its model, policy and system prompt
  std::string id;    // empty: a new one from the role ("worker-3")
  std::string default_system_prompt;  // used when the role gives none
  std::string prompt;                 // the first user message
  // The final answer must be JSON that validates against this (checked schema); otherwise
  // any JSON value, with strings kept as text.
  std::optional<nlohmann::json> answer_schema;
  bool tools_enabled = true;  // false: the model may only answer (planners, judges, voters)
  std::optional<double> temperature;
  // In a repository task: the commit the agent's branch starts at; empty: the task's base.
  std::string start_commit;
};

struct AgentOutcome {
  enum class Status { answered, failed, budget_exhausted, cancelled };
  Status status = Status::failed;
  std::string id;
  std::string role;
  nlohmann::json answer;  // answered: a string, or JSON when answer_schema was given
  std::string error;      // otherwise: why there is no answer
  std::vector<ToolAudit> audit;
  llm::Usage usage;
  uint32_t turns = 0;
  uint32_t tool_calls = 0;
  std::string workspace;  // host directory ("" when none)
  // In a repository task: its branch after the daemon committed what it changed (none when it
  // had no worktree, was cancelled, or the commit failed: a repository.commit_failed event).
  std::optional<AgentBranch> branch;

  bool answered() const { return status == Status::answered; }
  // The answer as text: the string itself, or compact JSON.
  std::string answer_text() const;
};

std::string_view to_string(AgentOutcome::Status status);

// Runs one agent of `task` to its end, emitting agent.started and agent.finished. Never
// throws: a cancelled agent (task cancelled, budget ended, its branch cancelled) returns
// status cancelled, or budget_exhausted when a task budget ended it.
boost::asio::awaitable<AgentOutcome> run_agent(TaskContext& task, AgentSpec spec);

}  // namespace agents::runtime
