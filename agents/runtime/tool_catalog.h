// The tools an agent is offered, as chat-completions tool definitions (JSON schemas of their
// arguments): those its policy's ToolScope allows, plus final_answer. A call to any other
// name is refused by the scope check (known tools) or answered as unknown.
#pragma once

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

std::vector<llm::ToolDefinition> tool_catalog(const policies::ToolScope& scope,
                                              const CatalogOptions& options);

}  // namespace agents::runtime
