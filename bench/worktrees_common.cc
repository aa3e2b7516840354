#include "bench/worktrees_common.h"

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <thread>

namespace worktrees_bench {

std::atomic<bool> g_stop{false};

int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(std::thread::hardware_concurrency());
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

namespace {

void drain(int fd, std::string* out) {
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) out->append(buffer, static_cast<size_t>(n));
}

}  // namespace

bool run(const std::vector<std::string>& argv, std::string* out) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  int pipe_fds[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (out != nullptr) {
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return false;
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  }
  pid_t pid = -1;
  const int error = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (out != nullptr) {
    ::close(pipe_fds[1]);
    if (error == 0) drain(pipe_fds[0], out);
    ::close(pipe_fds[0]);
  }
  if (error != 0) {
    std::fprintf(stderr, "worktrees: cannot run %s: %s\n", argv[0].c_str(), std::strerror(error));
    return false;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::vector<std::string> git(const fs::path& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {"git", "-C", dir.string(), "-c", "user.name=agentd bench", "-c",
                                   "user.email=bench@agentd.invalid", "-c", "commit.gpgsign=false",
                                   // No gc or maintenance detached in the background, racing
                                   // the timed phases (10,000 loose objects start one).
                                   "-c", "gc.auto=0", "-c", "maintenance.auto=false"};
  for (std::string& arg : args) argv.push_back(std::move(arg));
  return argv;
}

double Phase::mean_ms() const {
  if (latency_ms.empty()) return 0;
  return std::accumulate(latency_ms.begin(), latency_ms.end(), 0.0) / latency_ms.size();
}

double Phase::median_ms() const {
  if (latency_ms.empty()) return 0;
  std::vector<double> sorted = latency_ms;
  std::sort(sorted.begin(), sorted.end());
  return sorted[sorted.size() / 2];
}

double Phase::max_ms() const {
  return latency_ms.empty() ? 0 : *std::max_element(latency_ms.begin(), latency_ms.end());
}

Phase run_pool(const std::string& name, int count, int threads,
               const std::function<bool(int)>& setup, const std::function<bool(int, int)>& item) {
  Phase phase;
  phase.name = name;
  phase.latency_ms.assign(count, 0);
  phase.end_ms.assign(count, 0);
  std::vector<char> done(count, 0);  // 1: succeeded; 0: failed or never ran
  std::atomic<int> next{0};
  ::sync();
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    // A thread whose setup fails leaves its share to the others.
    pool.emplace_back([&, t] {
      if (!setup(t)) return;
      for (int i = next.fetch_add(1); i < count && !g_stop.load(); i = next.fetch_add(1)) {
        const Clock::time_point item_start = Clock::now();
        done[i] = item(t, i) ? 1 : 0;
        phase.latency_ms[i] = seconds_since(item_start) * 1e3;
        phase.end_ms[i] = seconds_since(start) * 1e3;
      }
    });
  }
  for (std::thread& thread : pool) thread.join();
  phase.wall_s = seconds_since(start);
  phase.failed = static_cast<int>(std::count(done.begin(), done.end(), 0));
  return phase;
}

void print_phase(const Phase& phase, int count, int threads) {
  const std::string failed =
      phase.failed > 0 ? ", " + std::to_string(phase.failed) + " of them FAILED" : "";
  std::printf(
      "%-34s %d in %.2f s with %d threads (%.1f per s); each: mean %.0f ms, median "
      "%.0f ms, max %.0f ms%s\n",
      (phase.name + ":").c_str(), count, phase.wall_s, threads, count / phase.wall_s,
      phase.mean_ms(), phase.median_ms(), phase.max_ms(), failed.c_str());
}

std::vector<double> serialised_service_ms(const Phase& phase, std::vector<int>* order) {
  order->resize(phase.end_ms.size());
  std::iota(order->begin(), order->end(), 0);
  std::sort(order->begin(), order->end(),
            [&](int a, int b) { return phase.end_ms[a] < phase.end_ms[b]; });
  std::vector<double> service;
  double previous_end = 0;
  for (int i : *order) {
    const double started = phase.end_ms[i] - phase.latency_ms[i];
    service.push_back(phase.end_ms[i] - std::max(started, previous_end));
    previous_end = phase.end_ms[i];
  }
  return service;
}

}  // namespace worktrees_bench
