#include "agents/runtime/validation.h"

#include "agents/runtime/json_schema.h"
#include "agents/runtime/task_context.h"

namespace agents::runtime {

std::optional<std::string> invalid_reason(const AgentOutcome& outcome,
                                          const std::optional<nlohmann::json>& schema) {
  if (!outcome.answered())
    return "no answer (" + std::string(to_string(outcome.status)) +
           (outcome.error.empty() ? "" : ": " + outcome.error) + ")";
  std::string refused;
  size_t refusals = 0;
  for (const ToolAudit& use : outcome.audit) {
    if (use.verdict != ToolAudit::Verdict::refused) continue;
    if (++refusals <= 3) refused += (refused.empty() ? "" : "; ") + use.tool + ": " + use.reason;
  }
  if (refusals > 0)
    return "audit: " + std::to_string(refusals) + " tool call(s) outside the policy (" + refused +
           ")";
  if (schema) {
    std::vector<std::string> errors = validate(outcome.answer, *schema, 3);
    if (!errors.empty()) {
      std::string text = "schema:";
      for (const std::string& e : errors) text += " " + e + ";";
      text.pop_back();
      return text;
    }
  }
  return std::nullopt;
}

bool accept_result(TaskContext& task, const AgentOutcome& outcome,
                   const std::optional<nlohmann::json>& schema) {
  auto why = invalid_reason(outcome, schema);
  if (!why) return true;
  task.drop(outcome.id, *why);
  return false;
}

}  // namespace agents::runtime
