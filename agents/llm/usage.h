// Usage accounting: each response's usage is recorded once (a retried request counts only
// the attempt that answered), and totals are kept per task, per agent and per model. Safe
// to share between threads, so totals stay exact however agents are scheduled.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "agents/llm/chat.h"

namespace agents::llm {

// Cost in USD of `usage` at the model's prices. Cached and reasoning tokens are counted
// inside prompt and completion tokens by the API, so they are billed there, once.
double cost_of(const Usage& usage, const ModelConfig& model);

class UsageLedger {
 public:
  void record(const std::string& task_id, const std::string& agent_id,
              const std::string& model_name, const Usage& usage);

  Usage total() const;
  Usage for_task(const std::string& task_id) const;
  // Agent ids are scoped by their task.
  Usage for_agent(const std::string& task_id, const std::string& agent_id) const;
  Usage for_model(const std::string& model_name) const;

 private:
  mutable std::mutex mutex_;
  Usage total_;
  std::map<std::string, Usage> by_task_;
  std::map<std::pair<std::string, std::string>, Usage> by_agent_;
  std::map<std::string, Usage> by_model_;
};

}  // namespace agents::llm
