#include "agents/runtime/budget.h"

namespace agents::runtime {

bool TaskBudget::charge(const llm::Usage& usage) {
  used_ += usage;
  if (limits_.tokens != 0 && used_.total_tokens() >= limits_.tokens) return exhaust("tokens");
  if (limits_.cost_usd > 0 && used_.cost_usd >= limits_.cost_usd) return exhaust("cost");
  return false;
}

bool TaskBudget::exhaust(std::string which) {
  if (!exhausted_.empty()) return false;
  exhausted_ = std::move(which);
  return true;
}

}  // namespace agents::runtime
