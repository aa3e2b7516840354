#include "agents/llm/usage.h"

namespace agents::llm {

Usage& Usage::operator+=(const Usage& other) {
  prompt_tokens += other.prompt_tokens;
  completion_tokens += other.completion_tokens;
  cached_tokens += other.cached_tokens;
  reasoning_tokens += other.reasoning_tokens;
  cost_usd += other.cost_usd;
  requests += other.requests;
  return *this;
}

double cost_of(const Usage& usage, const ModelConfig& model) {
  return (static_cast<double>(usage.prompt_tokens) * model.usd_per_million_input +
          static_cast<double>(usage.completion_tokens) * model.usd_per_million_output) /
         1e6;
}

void UsageLedger::record(const std::string& task_id, const std::string& agent_id,
                         const std::string& model_name, const Usage& usage) {
  const std::lock_guard lock(mutex_);
  total_ += usage;
  by_task_[task_id] += usage;
  by_agent_[{task_id, agent_id}] += usage;
  by_model_[model_name] += usage;
}

Usage UsageLedger::total() const {
  const std::lock_guard lock(mutex_);
  return total_;
}

namespace {
template <class Map, class Key>
Usage lookup(const Map& map, const Key& key) {
  const auto found = map.find(key);
  return found == map.end() ? Usage{} : found->second;
}
}  // namespace

Usage UsageLedger::for_task(const std::string& task_id) const {
  const std::lock_guard lock(mutex_);
  return lookup(by_task_, task_id);
}

Usage UsageLedger::for_agent(const std::string& task_id, const std::string& agent_id) const {
  const std::lock_guard lock(mutex_);
  return lookup(by_agent_, std::pair{task_id, agent_id});
}

Usage UsageLedger::for_model(const std::string& model_name) const {
  const std::lock_guard lock(mutex_);
  return lookup(by_model_, model_name);
}

}  // namespace agents::llm
