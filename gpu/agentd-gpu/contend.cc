#include "gpu/agentd-gpu/contend.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>

#include "gpu/open_check.h"
#include "gpu/scheduler.h"

namespace gpu::tool {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

struct Contest {
  explicit Contest(std::ostream& out) : out(out) {}

  std::ostream& out;
  asio::io_context io;
  std::shared_ptr<sandbox::Runner> runner;
  std::optional<Passthrough> passthrough;  // empty: stand-in GPU, agents only sleep
  std::string probe;
  Clock::time_point start = Clock::now();
  std::map<uint32_t, int> holding;  // per GPU, agents inside a sandbox on it right now
  int most_holding = 0;
  int succeeded = 0;
  std::vector<std::string> failures;

  long long elapsed_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  }
};

std::string gpu_list(const std::vector<uint32_t>& gpus) {
  std::string text;
  for (uint32_t g : gpus) text += (text.empty() ? "" : ",") + std::to_string(g);
  return text;
}

base::Expected<sandbox::Spec> agent_spec(Contest& contest, const Lease& lease) {
  if (!contest.passthrough) {
    auto spec = sandbox::default_spec({"/bin/sleep", "0.3"});
    return spec;
  }
  auto grant = contest.passthrough->grant(lease.gpus());
  if (!grant) return grant.error();
  auto spec = program_spec(contest.probe, {"256", "20"});
  add_to_spec(*grant, spec);
  spec.limits.memory_bytes = 4ull << 30;
  spec.limits.pids = 256;
  spec.limits.open_files = 1024;
  spec.limits.wall_time = std::chrono::seconds(120);
  return spec;
}

asio::awaitable<void> agent(Contest& contest, Scheduler& scheduler, uint32_t number,
                            std::chrono::milliseconds max_wait) {
  LeaseRequest request{"tenant-" + std::to_string(number % 2),
                       "task-" + std::to_string(number),
                       "agent-" + std::to_string(number),
                       1,
                       LeaseMode::exclusive,
                       max_wait};
  auto lease = co_await scheduler.async_acquire(request, asio::use_awaitable);
  if (!lease) {
    contest.failures.push_back(lease.error().message);
    co_return;
  }
  auto spec = agent_spec(contest, *lease);
  if (!spec) {
    contest.failures.push_back(request.agent + ": " + spec.error().message);
    co_return;
  }
  uint32_t gpu = lease->gpus().front();
  contest.most_holding = std::max(contest.most_holding, ++contest.holding[gpu]);
  auto result = co_await contest.runner->async_run(contest.io.get_executor(), std::move(*spec),
                                                   asio::use_awaitable);
  --contest.holding[gpu];
  if (result.status == sandbox::RunStatus::ok) {
    ++contest.succeeded;
    contest.out << "agent " << request.agent << " t=" << contest.elapsed_ms() << "ms done on GPU "
                << gpu << ": " << (result.stdout_data.empty() ? "\n" : result.stdout_data);
  } else {
    contest.failures.push_back(request.agent + ": sandbox " +
                               std::string(sandbox::to_string(result.status)) + " " + result.error +
                               result.stderr_data);
  }
}  // the lease goes back here, whatever happened

void print_event(const Contest& contest, const LeaseEvent& event) {
  contest.out << "event t=" << contest.elapsed_ms() << "ms " << to_string(event.kind)
              << " lease=" << event.lease_id << " " << event.tenant << "/" << event.task << "/"
              << event.agent << " gpus=[" << gpu_list(event.gpus)
              << "] waited=" << event.waited.count() << "ms position=" << event.queue_position
              << " " << event.detail << "\n";
}

long long milliseconds(std::chrono::nanoseconds duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
}

void print_metrics(const Contest& contest, const SchedulerMetrics& metrics, uint32_t agents) {
  contest.out << "metrics granted=" << metrics.granted << " timed_out=" << metrics.timed_out
              << " cancelled=" << metrics.cancelled
              << " max_queue_length=" << metrics.max_queue_length
              << " total_wait_ms=" << milliseconds(metrics.total_wait) << "\n";
  for (const auto& gpu : metrics.gpus) {
    contest.out << "metrics gpu=" << gpu.index << " busy_ms=" << milliseconds(gpu.busy_time)
                << "\n";
  }
  contest.out << "result agents=" << agents << " succeeded=" << contest.succeeded
              << " most_on_one_gpu_at_once=" << contest.most_holding
              << " wall_ms=" << contest.elapsed_ms() << "\n";
}

}  // namespace

int run_contend(const Options& options, std::ostream& out, std::ostream& err) {
  Contest contest(out);
  auto runner = sandbox::Runner::create();
  if (!runner) {
    err << options.program
        << " contend: cannot create the sandbox runner: " << runner.error().message << "\n";
    return 2;
  }
  contest.runner = *runner;
  auto passthrough = Passthrough::prepare(discover(options.discovery), options.passthrough);
  bool real = passthrough && std::filesystem::exists(options.probe);
  uint32_t gpus = 1;
  if (real) {
    contest.passthrough = std::move(*passthrough);
    contest.probe = options.probe;
    gpus = static_cast<uint32_t>(contest.passthrough->inventory().gpus.size());
    out << "mode: " << gpus << " GPU(s), each agent runs " << options.probe
        << " in a sandbox granted its leased GPU\n";
  } else {
    out << "mode: stand-in GPU ("
        << (passthrough ? "no probe at " + options.probe : passthrough.error().message)
        << "); each agent sleeps 0.3 s in a sandbox while it holds the lease\n";
  }
  Scheduler scheduler(contest.io.get_executor(), gpus, {},
                      [&](const LeaseEvent& event) { print_event(contest, event); });
  for (uint32_t i = 0; i < options.agents; ++i) {
    asio::co_spawn(contest.io,
                   agent(contest, scheduler, i, std::chrono::milliseconds(options.max_wait_ms)),
                   asio::detached);
  }
  contest.io.run();
  print_metrics(contest, scheduler.metrics(), options.agents);
  for (const auto& failure : contest.failures) out << "FAIL " << failure << "\n";
  bool ok = contest.failures.empty() && contest.succeeded == static_cast<int>(options.agents) &&
            contest.most_holding == 1;
  out << (ok ? "PASS" : "FAIL")
      << " contention: " << (ok ? "every agent ran, never two on one GPU at once" : "see above")
      << "\n";
  return ok ? 0 : 1;
}

}  // namespace gpu::tool
