// A task's budgets (tokens, cost, wall time), held across all its parallel branches: every
// response's usage is charged here once; the first budget crossed is remembered, and the task
// cancels its remaining agents and reports it (TaskResult::ended_by).
#pragma once

#include <string>

#include "agents/llm/chat.h"
#include "agents/task_spec.h"

namespace agents::runtime {

class TaskBudget {
 public:
  explicit TaskBudget(TaskBudgets limits) : limits_(limits) {}

  // Adds `usage`; returns true when this charge crossed a budget (first time only).
  bool charge(const llm::Usage& usage);
  // Marks a budget as exhausted from outside (the wall-time timer); true the first time.
  bool exhaust(std::string which);

  // "tokens", "cost", "wall_time", or empty while every budget holds.
  const std::string& exhausted() const { return exhausted_; }
  const llm::Usage& used() const { return used_; }

 private:
  TaskBudgets limits_;
  llm::Usage used_;
  std::string exhausted_;
};

}  // namespace agents::runtime
