// The tools an agent is offered, as chat-completions tool definitions (JSON schemas of their
// arguments): those its policy's ToolScope allows, plus final_answer. A call to any other
// name is refused by the scope check (known tools) or answered as unknown. Also the names
// that stand beside the policy tools without being ones: final_answer, and the dag's "agent".
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/llm/chat.h"
#include "policies/tool_scope.h"

namespace agents::runtime {

// The agents' own pseudo-tool, offered to every agent: calling it ends the agent's work with
// its answer. No policy grants or refuses it, so it is no policies::Tool.
inline constexpr std::string_view kFinalAnswer = "final_answer";

// What a dag step may name besides a tool: a worker agent given a prompt. No tool either: the
// agent's own calls are each checked against its policy.
inline constexpr std::string_view kAgentStep = "agent";
// The tools a dag step may name, in the order plans and prompts list them (after kAgentStep).
inline constexpr policies::Tool kDagStepTools[] = {
    policies::Tool::run_code,   policies::Tool::http_get,    policies::Tool::read_file,
    policies::Tool::write_file, policies::Tool::list_files,  policies::Tool::edit_file,
    policies::Tool::search,     policies::Tool::apply_patch, policies::Tool::git_diff};

// A policies::Tool's name or kFinalAnswer.
bool is_known_tool(std::string_view name);

struct CatalogOptions {
  bool has_workspace = true;                  // file tools need a workspace directory
  std::vector<std::string> shared_resources;  // offered to run_code as "shared"
  bool tools_enabled = true;                  // false: final_answer only (planners, judges)
};

// The arguments a call of `tool` cannot do without, in the order its definition lists them.
std::vector<std::string> required_arguments(policies::Tool tool);

// Why `arguments` (a JSON object) do not fit `tool`'s definition, worded for the model: a
// required argument missing or an argument of the wrong type (most are strings; search's
// max_matches is an integer and its fixed a boolean), and what the tool takes. A
// malformed call is the model's mistake to fix on its next turn, not a policy breach, so it
// is checked before the scope: {"language": 7} must not read as a refused language. Values
// are the scope's business (a language or path the policy refuses); unknown keys are ignored.
// nullopt when they fit.
std::optional<std::string> argument_error(policies::Tool tool, const nlohmann::json& arguments);
// The same for a name as the model called it: nullopt for final_answer, whose answer may be
// anything, and for a name no tool has (the unknown tool's refusal says so).
std::optional<std::string> argument_error(std::string_view name, const nlohmann::json& arguments);

std::vector<llm::ToolDefinition> tool_catalog(const policies::ToolScope& scope,
                                              const CatalogOptions& options);

}  // namespace agents::runtime
