// The tools an agent is offered, as chat-completions tool definitions (JSON schemas of their
// arguments): those its policy's ToolScope allows, plus final_answer. A call to any other
// name is refused by the scope check (known tools) or answered as unknown.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/llm/chat.h"
#include "policies/tool_scope.h"

namespace agents::runtime {

inline constexpr std::string_view kToolNames[] = {"run_code",   "read_file", "write_file",
                                                  "list_files", "http_get",  "final_answer"};
bool is_known_tool(std::string_view name);

struct CatalogOptions {
  bool has_workspace = true;                  // file tools need a workspace directory
  std::vector<std::string> shared_resources;  // offered to run_code as "shared"
  bool tools_enabled = true;                  // false: final_answer only (planners, judges)
};

// Why `arguments` (a JSON object) do not fit `tool`'s definition, worded for the model: a
// required argument missing or an argument of the wrong type, and what the tool takes. A
// malformed call is the model's mistake to fix on its next turn, not a policy breach, so it
// is checked before the scope: {"language": 7} must not read as a refused language. Values
// are the scope's business (a language or path the policy refuses); unknown keys are ignored.
// nullopt when they fit, and for final_answer, whose answer may be anything.
std::optional<std::string> argument_error(std::string_view tool, const nlohmann::json& arguments);

std::vector<llm::ToolDefinition> tool_catalog(const policies::ToolScope& scope,
                                              const CatalogOptions& options);

}  // namespace agents::runtime
