// The Prometheus text format, exactly, and the figures taken from task events.
#include "daemon/metrics.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "daemon/daemon_metrics.h"

namespace agentd {
namespace {

TEST(Metrics, RendersTheTextExpositionFormat) {
  metrics::Registry registry;
  auto& requests = registry.counter("x_requests_total", "Requests.\nSecond line.");
  auto& open = registry.gauge("x_open", "Open things.");
  auto& latency = registry.histogram("x_seconds", "Latency.", {0.1, 1});
  requests.add(2, {{"method", "task.get"}});
  requests.add(1, {{"method", "a\"b\\c\nd"}});
  open.set(3);
  latency.observe(0.05);
  latency.observe(0.5);
  latency.observe(7);
  EXPECT_EQ(registry.render(),
            "# HELP x_requests_total Requests.\\nSecond line.\n"
            "# TYPE x_requests_total counter\n"
            "x_requests_total{method=\"a\\\"b\\\\c\\nd\"} 1\n"
            "x_requests_total{method=\"task.get\"} 2\n"
            "# HELP x_open Open things.\n"
            "# TYPE x_open gauge\n"
            "x_open 3\n"
            "# HELP x_seconds Latency.\n"
            "# TYPE x_seconds histogram\n"
            "x_seconds_bucket{le=\"0.1\"} 1\n"
            "x_seconds_bucket{le=\"1\"} 2\n"
            "x_seconds_bucket{le=\"+Inf\"} 3\n"
            "x_seconds_sum 7.55\n"
            "x_seconds_count 3\n");
}

TEST(Metrics, EveryLineOfTheDaemonsMetricsIsWellFormed) {
  DaemonMetrics metrics;
  metrics.connections.add(1, {{"transport", "tcp"}});
  metrics.rpc_seconds.observe(0.002, {{"method", "task.submit"}});
  const std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? ([-+0-9.eE]+|[-+]Inf|NaN)$)");
  const std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$)");
  std::istringstream lines(metrics.render());
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.rfind('#', 0) == 0) {
      EXPECT_TRUE(std::regex_match(line, comment)) << line;
    } else {
      EXPECT_TRUE(std::regex_match(line, sample)) << line;
      ++samples;
    }
  }
  EXPECT_GT(samples, 5);  // the histogram alone has 18 lines
}

agents::Event event(std::string type, std::string agent, nlohmann::json data) {
  agents::Event e;
  e.type = std::move(type);
  e.task_id = "t1";
  e.agent_id = std::move(agent);
  e.data = std::move(data);
  return e;
}

TEST(DaemonMetrics, CountsLlmAgentsAndSandboxesFromEvents) {
  DaemonMetrics metrics;
  metrics.observe(event("agent.started", "w1", {}));
  metrics.observe(event("agent.started", "w2", {}));
  metrics.observe(event("llm.request", "w1", {{"model", "m"}}));
  metrics.observe(
      event("llm.usage", "w1",
            {{"model", "m"}, {"prompt_tokens", 10}, {"completion_tokens", 5}, {"cost_usd", 0.5}}));
  metrics.observe(event("tool.call", "w1", {{"tool", "run_code"}}));
  EXPECT_EQ(metrics.agents_running.value(), 2);
  EXPECT_EQ(metrics.sandboxes_running.value(), 1);
  EXPECT_EQ(metrics.llm_requests.value({{"model", "m"}}), 1);
  EXPECT_EQ(metrics.llm_tokens.value({{"model", "m"}, {"kind", "prompt"}}), 10);
  EXPECT_EQ(metrics.llm_tokens.value({{"model", "m"}, {"kind", "completion"}}), 5);
  EXPECT_EQ(metrics.llm_cost.value({{"model", "m"}}), 0.5);
  EXPECT_EQ(metrics.llm_seconds.value({{"model", "m"}}), 1);  // one observation
  metrics.observe(event("sandbox.result", "w1", {{"status", "ok"}, {"wall_ms", 20}}));
  EXPECT_EQ(metrics.sandboxes_running.value(), 0);
  EXPECT_EQ(metrics.sandbox_runs.value({{"status", "ok"}, {"source", "task"}}), 1);
  // A task that ends with agents still counted as running leaves nothing behind.
  metrics.forget_task("t1");
  EXPECT_EQ(metrics.agents_running.value(), 0);
  // Unbalanced events never drive a gauge below zero.
  metrics.observe(event("agent.finished", "w1", {}));
  EXPECT_EQ(metrics.agents_running.value(), 0);
}

}  // namespace
}  // namespace agentd
