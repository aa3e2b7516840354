// The metrics GET /metrics serves: connections, RPC requests and latencies, tasks by state,
// agents and sandboxes running, sandbox outcomes, LLM requests, tokens, cost and latency, the
// journal. LLM, agent and sandbox figures come from the tasks' events (observe()).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>

#include "agents/events.h"
#include "daemon/metrics.h"

namespace agentd {

class DaemonMetrics {
 public:
  DaemonMetrics();

  std::string render() const { return registry_.render(); }

  // Task events: llm.request/llm.usage/llm.retry, agent.started/agent.finished,
  // tool.call (run_code) and sandbox.result.
  void observe(const agents::Event& event);
  // A task ended: what its events left counted as running is no longer running.
  void forget_task(const std::string& task_id);
  // An exec.run sandbox's outcome.
  void sandbox_finished(const std::string& status, double wall_seconds, const std::string& source);
  // A connection's send queue holds `bytes` now; the highest is kept.
  void note_queued_bytes(uint64_t bytes);

 private:
  metrics::Registry registry_;  // first: the families below are registered in it

 public:
  metrics::Family& connections;             // gauge {transport}
  metrics::Family& connections_total;       // counter {transport}
  metrics::Family& connections_refused;     // counter {reason}
  metrics::Family& disconnects;             // counter {reason}
  metrics::Family& send_queue_bytes;        // gauge: bytes queued for all clients
  metrics::Family& send_queue_peak;         // gauge: the most one connection had queued
  metrics::Family& rpc_requests;            // counter {method, code}
  metrics::Family& rpc_seconds;             // histogram {method}
  metrics::Family& tasks;                   // gauge {state}: queued, running
  metrics::Family& tasks_finished;          // counter {state}
  metrics::Family& task_seconds;            // histogram
  metrics::Family& agents_running;          // gauge
  metrics::Family& sandboxes_running;       // gauge
  metrics::Family& sandbox_runs;            // counter {status, source}
  metrics::Family& sandbox_seconds;         // histogram {source}
  metrics::Family& llm_requests;            // counter {model}
  metrics::Family& llm_retries;             // counter {model}
  metrics::Family& llm_tokens;              // counter {model, kind}
  metrics::Family& llm_cost;                // counter {model}
  metrics::Family& llm_seconds;             // histogram {model}
  metrics::Family& events;                  // counter {type}
  metrics::Family& journal_commit_seconds;  // histogram
  metrics::Family& journal_writes;          // counter
  metrics::Family& journal_queue;           // gauge: operations waiting for the writer

 private:
  struct TaskCounts {
    int agents = 0;
    int sandboxes = 0;
  };
  void adjust(const std::string& task_id, int agents, int sandboxes);

  uint64_t queue_peak_bytes_ = 0;
  std::map<std::string, TaskCounts> per_task_;
  // (task, agent) → when its LLM request was sent: an agent has one request in flight.
  std::map<std::pair<std::string, std::string>, std::chrono::steady_clock::time_point> llm_sent_;
};

}  // namespace agentd
