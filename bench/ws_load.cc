// bench/ws_load: many concurrent WebSocket clients against agentd with the scripted LLM
// server. Each client submits fan_out tasks one after another and follows every event to
// the task's end. Prints tasks per second, event latency (the daemon's `at` timestamp
// against the time the event arrives, same host, so the clocks agree; `at` has millisecond
// resolution), the daemon's CPU time and peak memory (from /proc), and whether every event
// arrived once and in order.
//
//   ws_load --agentd build/daemon/agentd [--clients 1000] [--tasks 2] [--subtasks 2]
//           [--latency-ms 1000] [--jitter-ms 1000] [--ramp-ms 2000]
//           [--llm tests/fixtures/scripted_llm/server.py] [--dir /tmp]
//
// The workload: each model answer takes latency + a random 0..jitter ms (an agent's turn on a
// real model takes seconds), and the clients join evenly over the ramp. `--latency-ms 20
// --jitter-ms 0 --ramp-ms 0` instead offers more than the daemon can serve on a small
// machine, every answer in lockstep: that run shows throughput, and latency under overload.
//
// --dir is where the daemon's journal goes: its fsyncs (synchronous=FULL) are part of what a
// subscriber waits for when it subscribes from sequence 0, so a tmpfs (/dev/shm) shows the
// daemon without the disk.
//
// Targets (issue 5): p99 event latency under 10 ms at 1,000 clients, daemon memory under
// 200 MB. The exit status is 1 when an event was lost or out of order, or a client failed.
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "bench/ws_load_client.h"
#include "bench/ws_load_stack.h"

namespace {

struct Options {
  ws_load::StackOptions stack;
  uint32_t tasks = 2;
  uint32_t ramp_ms = 2000;
};

const char* kUsage =
    "usage: ws_load --agentd PATH [--llm server.py] [--clients N] [--tasks N] [--subtasks N] "
    "[--latency-ms N] [--jitter-ms N] [--ramp-ms N] [--dir DIR]\n";

bool parse(int argc, char** argv, Options& options) {
  std::map<std::string, std::string> values;
  for (int i = 1; i + 1 < argc; i += 2) values[argv[i]] = argv[i + 1];
  if (argc % 2 == 0) return false;
  for (const auto& [key, value] : values) {
    if (key == "--agentd")
      options.stack.agentd = value;
    else if (key == "--llm")
      options.stack.scripted_llm = value;
    else if (key == "--clients")
      options.stack.clients = std::stoul(value);
    else if (key == "--tasks")
      options.tasks = std::stoul(value);
    else if (key == "--subtasks")
      options.stack.subtasks = std::stoul(value);
    else if (key == "--latency-ms")
      options.stack.llm_latency_ms = std::stoul(value);
    else if (key == "--jitter-ms")
      options.stack.llm_jitter_ms = std::stoul(value);
    else if (key == "--ramp-ms")
      options.ramp_ms = std::stoul(value);
    else if (key == "--dir")
      options.stack.parent_dir = value;
    else
      return false;
  }
  return !options.stack.agentd.empty() && options.stack.clients > 0 && options.tasks > 0;
}

// Each client needs a socket here and one in the daemon; raise the soft limit to the hard one.
void raise_fd_limit(uint32_t clients) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < clients + 64)
    std::fprintf(stderr, "ws_load: RLIMIT_NOFILE is %llu, too low for %u clients\n",
                 static_cast<unsigned long long>(limit.rlim_cur), clients);
}

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t index = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return sorted[index];
}

// CPU seconds this process (the clients) used: when it nears one core, the clients, not the
// daemon, set the latency.
double own_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void report(const Options& options, ws_load::Results& results, double wall_s, double cpu_s,
            double client_cpu_s, uint64_t peak_bytes, uint64_t rss_bytes) {
  std::sort(results.latencies_ms.begin(), results.latencies_ms.end());
  const double p50 = percentile(results.latencies_ms, 0.50);
  const double p99 = percentile(results.latencies_ms, 0.99);
  const double max = results.latencies_ms.empty() ? 0 : results.latencies_ms.back();
  const uint64_t tasks = results.tasks_succeeded + results.tasks_other;
  const double peak_mb = static_cast<double>(peak_bytes) / (1 << 20);
  std::printf(
      "ws_load: %u clients (joining over %u ms) x %u fan_out tasks (%u workers each), "
      "scripted LLM latency %u + 0..%u ms, journal in %s\n",
      options.stack.clients, options.ramp_ms, options.tasks, options.stack.subtasks,
      options.stack.llm_latency_ms, options.stack.llm_jitter_ms, options.stack.parent_dir.c_str());
  std::printf("  tasks finished       %llu (%llu succeeded) in %.2f s: %.1f tasks/s\n",
              static_cast<unsigned long long>(tasks),
              static_cast<unsigned long long>(results.tasks_succeeded), wall_s,
              static_cast<double>(tasks) / wall_s);
  std::printf(
      "  events               %llu (%llu replayed at subscribe, not timed), %.0f events/s\n",
      static_cast<unsigned long long>(results.events),
      static_cast<unsigned long long>(results.replayed),
      static_cast<double>(results.events) / wall_s);
  std::printf(
      "  event latency        p50 %.2f ms  p99 %.2f ms  max %.2f ms  (target p99 < 10 ms: %s)\n",
      p50, p99, max, p99 < 10 ? "met" : "MISSED");
  std::printf("  daemon CPU           %.2f s (%.0f%% of one core), %.1f us per event\n", cpu_s,
              100 * cpu_s / wall_s,
              results.events ? 1e6 * cpu_s / static_cast<double>(results.events) : 0.0);
  std::printf("  client CPU           %.2f s (%.0f%% of one core; this process, 1 thread)\n",
              client_cpu_s, 100 * client_cpu_s / wall_s);
  std::printf("  daemon memory        peak %.1f MB, at the end %.1f MB  (target < 200 MB: %s)\n",
              peak_mb, static_cast<double>(rss_bytes) / (1 << 20),
              peak_mb < 200 ? "met" : "MISSED");
  std::printf("  order                %s (%llu events out of order)\n",
              results.order_errors == 0 ? "every event arrived once, in order" : "BROKEN",
              static_cast<unsigned long long>(results.order_errors));
  std::printf("  clients failed       %llu\n",
              static_cast<unsigned long long>(results.clients_failed));
  for (const auto& failure : results.failures) std::printf("    %s\n", failure.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  options.stack.scripted_llm = AGENTD_SOURCE_DIR "/tests/fixtures/scripted_llm/server.py";
  if (!parse(argc, argv, options)) {
    std::cerr << kUsage;
    return 2;
  }
  raise_fd_limit(options.stack.clients);
  auto stack = ws_load::Stack::start(options.stack);
  if (!stack) {
    std::cerr << "ws_load: " << stack.error().message << "\n";
    return 1;
  }
  const pid_t daemon = stack->daemon_pid();
  boost::asio::io_context io(1);
  ws_load::Results results;
  ws_load::ClientPlan plan{"127.0.0.1", stack->port(), stack->token(), options.tasks,
                           options.stack.subtasks};
  // Clients join evenly over the ramp, as users do, not all in one instant.
  std::vector<std::unique_ptr<boost::asio::steady_timer>> joins;
  for (uint32_t i = 0; i < options.stack.clients; ++i) {
    const auto delay =
        std::chrono::milliseconds(uint64_t{options.ramp_ms} * i / options.stack.clients);
    auto& timer = joins.emplace_back(std::make_unique<boost::asio::steady_timer>(io, delay));
    timer->async_wait([&io, &plan, &results](boost::system::error_code) {
      boost::asio::co_spawn(io, ws_load::run_client(plan, results), boost::asio::detached);
    });
  }
  const double cpu_before = ws_load::cpu_seconds(daemon);
  const double client_cpu_before = own_cpu_seconds();
  const auto started = std::chrono::steady_clock::now();
  io.run();
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double cpu_s = ws_load::cpu_seconds(daemon) - cpu_before;
  report(options, results, wall_s, cpu_s, own_cpu_seconds() - client_cpu_before,
         ws_load::status_bytes(daemon, "VmHWM:"), ws_load::status_bytes(daemon, "VmRSS:"));
  const bool correct = results.order_errors == 0 && results.clients_failed == 0 &&
                       results.tasks_succeeded == uint64_t{options.stack.clients} * options.tasks;
  return correct ? 0 : 1;
}
