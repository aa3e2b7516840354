// The metrics GET /metrics serves: connections, RPC requests and latencies, tasks by state,
// agents and sandboxes running, sandbox outcomes, LLM requests, tokens, cost and latency, the
// journal, GPU leases. LLM, agent and sandbox figures come from the tasks' events (observe());
// GPU figures from the GPU scheduler, read at each render.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "agents/events.h"
#include "daemon/metrics.h"

namespace gpu {
struct SchedulerMetrics;  // gpu/scheduler.h
}

namespace agentd {

class DaemonMetrics {
 public:
  DaemonMetrics();

  std::string render();

  // Where render() reads the GPU figures; nullopt once the source is gone.
  using GpuSource = std::function<std::optional<gpu::SchedulerMetrics>()>;
  void set_gpu_source(GpuSource source) { gpu_source_ = std::move(source); }

  // Task events: llm.request/llm.usage/llm.retry, agent.started/agent.finished,
  // tool.call (run_code), gpu.failed (a run_code that ran no sandbox) and sandbox.result.
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
  metrics::Family& gpu_queue;               // gauge: GPU requests waiting for a lease
  metrics::Family& gpu_holders;             // gauge {gpu}: leases holding the GPU now
  metrics::Family& gpu_busy_seconds;        // counter {gpu}: time with at least one lease
  metrics::Family& gpu_leases;              // counter: leases granted
  metrics::Family& gpu_wait_seconds;        // counter: time granted requests waited
  metrics::Family& gpu_wait_failures;       // counter {reason}: timeout, cancelled

 private:
  struct TaskCounts {
    int agents = 0;
    int sandboxes = 0;
  };
  void adjust(const std::string& task_id, int agents, int sandboxes);
  void note_gpus(const gpu::SchedulerMetrics& figures);

  uint64_t queue_peak_bytes_ = 0;
  GpuSource gpu_source_;
  std::map<std::string, TaskCounts> per_task_;
  // (task, agent) → when its LLM request was sent: an agent has one request in flight.
  std::map<std::pair<std::string, std::string>, std::chrono::steady_clock::time_point> llm_sent_;
};

}  // namespace agentd
