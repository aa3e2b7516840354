// The in-memory state of one unfinished task (TaskManager's own; other files of the task
// manager share it).
#pragma once

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agents/task.h"
#include "daemon/task_manager.h"

namespace agentd {

struct TaskManager::Task {
  std::string id;
  std::string tenant;
  std::optional<std::string> idempotency_key;
  std::string state = "queued";  // queued, running; then the final state
  agents::TaskSpec spec;
  nlohmann::json spec_json;  // as stored and as task.get shows it
  agents::PolicyLookup policies;
  uint32_t agents = 0;  // what it holds of the tenant's agents quota
  int64_t created_at = 0;
  std::optional<int64_t> started_at;
  uint64_t last_seq = 0;
  agents::llm::Usage usage;  // from llm.usage events, until the result says
  std::set<std::string> running_agents;
  std::shared_ptr<agents::TaskControl> control;
  boost::asio::cancellation_signal cancel_signal;
  bool finished = false;
  bool abandoned = false;  // shutdown left it to be resumed by the next daemon
  std::vector<boost::asio::steady_timer*> waiters;  // cancelled when the task ends
};

}  // namespace agentd
