#include "daemon/daemon_metrics.h"

#include <algorithm>

#include "gpu/scheduler.h"
#include "policies/tool_scope.h"

namespace agentd {
namespace {

using nlohmann::json;

std::string text_field(const json& data, const char* key, const char* fallback = "unknown") {
  auto it = data.find(key);
  return it != data.end() && it->is_string() ? it->get<std::string>() : fallback;
}

double number_field(const json& data, const char* key) {
  auto it = data.find(key);
  return it != data.end() && it->is_number() ? it->get<double>() : 0.0;
}

}  // namespace

DaemonMetrics::DaemonMetrics()
    : connections(registry_.gauge("agentd_connections", "Open WebSocket connections.")),
      connections_total(
          registry_.counter("agentd_connections_total", "WebSocket connections accepted.")),
      connections_refused(registry_.counter(
          "agentd_connections_refused_total",
          "Upgrades refused before the WebSocket opened (unauthorized, tenant limit, draining).")),
      disconnects(registry_.counter(
          "agentd_disconnects_total",
          "Connections the server closed (send_queue, idle, message_too_big, shutdown).")),
      send_queue_bytes(registry_.gauge("agentd_send_queue_bytes",
                                       "Bytes queued for clients, all connections together.")),
      send_queue_peak(registry_.gauge(
          "agentd_send_queue_peak_bytes",
          "The most bytes one connection has had queued (bounded by send_queue_bytes).")),
      rpc_requests(registry_.counter("agentd_rpc_requests_total",
                                     "JSON-RPC requests answered, by method and code (0: ok).")),
      rpc_seconds(registry_.histogram("agentd_rpc_duration_seconds",
                                      "Time from a request's arrival to its answer.",
                                      metrics::latency_buckets())),
      tasks(registry_.gauge("agentd_tasks", "Tasks not yet finished, by state.")),
      tasks_finished(
          registry_.counter("agentd_tasks_finished_total", "Tasks finished, by final state.")),
      task_seconds(registry_.histogram("agentd_task_duration_seconds",
                                       "Time from a task's start to its end.",
                                       {0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800})),
      agents_running(registry_.gauge("agentd_agents_running", "Agents running now.")),
      sandboxes_running(registry_.gauge("agentd_sandboxes_running", "Sandboxes running now.")),
      sandbox_runs(registry_.counter("agentd_sandbox_runs_total",
                                     "Sandbox runs by outcome and source (task, exec).")),
      sandbox_seconds(registry_.histogram(
          "agentd_sandbox_wall_seconds", "Wall time of sandbox runs.", metrics::latency_buckets())),
      llm_requests(registry_.counter("agentd_llm_requests_total",
                                     "LLM requests sent (attempts), by model.")),
      llm_retries(registry_.counter("agentd_llm_retries_total", "LLM requests retried.")),
      llm_tokens(registry_.counter("agentd_llm_tokens_total",
                                   "LLM tokens by model and kind (prompt, completion).")),
      llm_cost(registry_.counter("agentd_llm_cost_usd_total", "LLM cost in USD by model.")),
      llm_seconds(registry_.histogram("agentd_llm_request_duration_seconds",
                                      "Time from an LLM request to its usage report.",
                                      metrics::latency_buckets())),
      events(registry_.counter("agentd_task_events_total", "Task events by type.")),
      journal_commit_seconds(registry_.histogram("agentd_journal_commit_duration_seconds",
                                                 "Time of one journal transaction.",
                                                 metrics::latency_buckets())),
      journal_writes(
          registry_.counter("agentd_journal_writes_total", "Journal operations committed.")),
      journal_queue(registry_.gauge("agentd_journal_queue",
                                    "Journal operations waiting for the writer thread.")),
      gpu_queue(registry_.gauge("agentd_gpu_queue_length", "GPU requests waiting for a lease.")),
      gpu_holders(registry_.gauge("agentd_gpu_holders", "Leases holding each GPU now.")),
      gpu_busy_seconds(registry_.counter("agentd_gpu_busy_seconds_total",
                                         "Time each GPU has been leased to at least one sandbox.")),
      gpu_leases(registry_.counter("agentd_gpu_leases_total", "GPU leases granted.")),
      gpu_wait_seconds(registry_.counter("agentd_gpu_wait_seconds_total",
                                         "Time granted GPU requests spent waiting, summed.")),
      gpu_wait_failures(
          registry_.counter("agentd_gpu_wait_failures_total",
                            "GPU requests that got no lease, by reason (timeout, cancelled).")) {}

std::string DaemonMetrics::render() {
  if (gpu_source_)
    if (auto figures = gpu_source_()) note_gpus(*figures);
  return registry_.render();
}

// The scheduler keeps the running totals; the families show them as of now.
void DaemonMetrics::note_gpus(const gpu::SchedulerMetrics& figures) {
  using Seconds = std::chrono::duration<double>;
  gpu_queue.set(static_cast<double>(figures.queue_length));
  gpu_leases.set(static_cast<double>(figures.granted));
  gpu_wait_seconds.set(std::chrono::duration_cast<Seconds>(figures.total_wait).count());
  gpu_wait_failures.set(static_cast<double>(figures.timed_out), {{"reason", "timeout"}});
  gpu_wait_failures.set(static_cast<double>(figures.cancelled), {{"reason", "cancelled"}});
  for (const gpu::GpuMetrics& one : figures.gpus) {
    const metrics::Labels labels = {{"gpu", std::to_string(one.index)}};
    gpu_holders.set(one.holders, labels);
    gpu_busy_seconds.set(std::chrono::duration_cast<Seconds>(one.busy_time).count(), labels);
  }
}

void DaemonMetrics::adjust(const std::string& task_id, int agents, int sandboxes) {
  TaskCounts& counts = per_task_[task_id];
  // Events of a misbehaving runtime must not drive a gauge below zero.
  agents = std::max(agents, -counts.agents);
  sandboxes = std::max(sandboxes, -counts.sandboxes);
  counts.agents += agents;
  counts.sandboxes += sandboxes;
  agents_running.add(agents);
  sandboxes_running.add(sandboxes);
}

void DaemonMetrics::observe(const agents::Event& event) {
  events.add(1, {{"type", event.type}});
  const json& data = event.data;
  const auto key = std::make_pair(event.task_id, event.agent_id);
  if (event.type == "llm.request") {
    llm_requests.add(1, {{"model", text_field(data, "model")}});
    llm_sent_[key] = std::chrono::steady_clock::now();
  } else if (event.type == "llm.retry") {
    llm_retries.add(1, {{"model", text_field(data, "model")}});
  } else if (event.type == "llm.usage") {
    const std::string model = text_field(data, "model");
    llm_tokens.add(number_field(data, "prompt_tokens"), {{"model", model}, {"kind", "prompt"}});
    llm_tokens.add(number_field(data, "completion_tokens"),
                   {{"model", model}, {"kind", "completion"}});
    llm_cost.add(number_field(data, "cost_usd"), {{"model", model}});
    if (auto it = llm_sent_.find(key); it != llm_sent_.end()) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - it->second;
      llm_seconds.observe(took.count(), {{"model", model}});
      llm_sent_.erase(it);
    }
  } else if (event.type == "agent.started") {
    adjust(event.task_id, 1, 0);
  } else if (event.type == "agent.finished") {
    adjust(event.task_id, -1, 0);
  } else if (event.type == "tool.call" &&
             policies::parse_tool(text_field(data, "tool")) == policies::Tool::run_code) {
    adjust(event.task_id, 0, 1);
  } else if (event.type == "gpu.failed") {
    adjust(event.task_id, 0, -1);  // its run_code ends without a sandbox
  } else if (event.type == "sandbox.result") {
    adjust(event.task_id, 0, -1);
    sandbox_finished(text_field(data, "status"), number_field(data, "wall_ms") / 1000.0, "task");
  }
}

void DaemonMetrics::forget_task(const std::string& task_id) {
  if (auto it = per_task_.find(task_id); it != per_task_.end()) {
    adjust(task_id, -it->second.agents, -it->second.sandboxes);
    per_task_.erase(task_id);
  }
  for (auto it = llm_sent_.lower_bound({task_id, ""});
       it != llm_sent_.end() && it->first.first == task_id;)
    it = llm_sent_.erase(it);
}

void DaemonMetrics::note_queued_bytes(uint64_t bytes) {
  if (bytes <= queue_peak_bytes_) return;
  queue_peak_bytes_ = bytes;
  send_queue_peak.set(static_cast<double>(bytes));
}

void DaemonMetrics::sandbox_finished(const std::string& status, double wall_seconds,
                                     const std::string& source) {
  sandbox_runs.add(1, {{"status", status}, {"source", source}});
  sandbox_seconds.observe(wall_seconds, {{"source", source}});
}

}  // namespace agentd
