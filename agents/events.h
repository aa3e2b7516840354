// Every step of a task emits an Event; the daemon implements EventSink (journal, subscribers),
// tests collect them.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace agents {

struct Event {
  std::string type;  // agent.started, llm.request, llm.usage, tool.call, tool.result,
                     // tool.refused, sandbox.result, llm.retry, plan.replanned, vote.cast,
                     // token.handover, agent.finished, task.finished, monitor.summary, ...
  std::string task_id;
  std::string agent_id;  // empty for task-level events
  std::chrono::system_clock::time_point at = std::chrono::system_clock::now();
  nlohmann::json data = nlohmann::json::object();
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Called on the task's executor; must not block.
  virtual void emit(Event event) = 0;
};

}  // namespace agents
