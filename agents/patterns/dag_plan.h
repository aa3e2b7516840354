// The dag pattern's plan: steps with a tool, an input and dependencies, as in LLMCompiler.
//   {"steps": [{"id": "fetch", "tool": "http_get", "input": {"url": "https://..."}},
//              {"id": "sum", "tool": "agent", "input": {"prompt": "Summarise ${fetch}"},
//               "depends_on": ["fetch"]}],
//    "answer": "sum"}
// A string in an input may refer to an earlier step's result as ${id} (write $${ for a
// literal ${); a reference is a dependency whether or not depends_on lists it. A plan is
// valid when every id is new and well formed, every tool is allowed, every input has what its
// tool needs, every reference and dependency names a step, and there is no cycle. A re-plan
// adds steps to those already done or running, which it may refer to but not redefine.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "policies/tool_scope.h"

namespace agents::patterns {

struct DagStep {
  std::string id;
  std::string tool;  // agent, run_code, http_get, read_file, write_file, list_files
  nlohmann::json input = nlohmann::json::object();
  std::vector<std::string> depends_on;  // declared and referenced, without duplicates
};

struct DagPlan {
  std::vector<DagStep> steps;  // in the planner's order
  std::string answer;          // the step whose result answers the task; empty: the last one
};

// The structural schema the planner's answer must match (checked by the agent loop).
nlohmann::json dag_plan_schema(uint32_t max_steps);

struct DagPlanRules {
  std::vector<std::string> allowed_tools;  // already narrowed to what the worker policy allows
  std::set<std::string> kept_ids;          // steps done or running: referable, not redefinable
  uint32_t max_steps = 32;
};

// The tools of `allowed` (all when empty) that `scope` permits at all.
std::vector<std::string> permitted_tools(const std::vector<std::string>& allowed,
                                         const policies::ToolScope& scope);

// The plan, or every reason it is invalid (each naming the step), for the planner to fix.
struct DagPlanCheck {
  DagPlan plan;
  std::vector<std::string> errors;
};
DagPlanCheck check_dag_plan(const nlohmann::json& answer, const DagPlanRules& rules);

// `input` with every ${id} replaced by results.at(id) ($${ becomes ${).
nlohmann::json substitute_references(const nlohmann::json& input,
                                     const std::map<std::string, std::string>& results);

}  // namespace agents::patterns
