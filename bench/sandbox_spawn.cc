// bench/sandbox_spawn: how fast agentbox starts sandboxes, against bubblewrap in the same run.
//
// For /bin/true and `python3 -c pass` it measures, for agentbox's Runner (in-process, as the
// daemon uses it) and for bwrap (a process per sandbox, as a daemon would have to use it):
//   latency:    N sandboxes one after another: p50 and p99 of start-to-exit time
//   throughput: N sandboxes with C in flight at once: sandboxes per second
//   cpu:        busy time of the whole machine per sandbox during the latency runs
// bwrap gets equal isolation: user, pid, net, ipc, uts and cgroup namespaces, a fresh /proc,
// a minimal /dev, tmpfs /tmp, and the same read-only system binds. agentbox also pays for what
// bwrap does not do here: a cgroup with limits, the seccomp filter, rlimits, capability drop.
//
// usage: sandbox_spawn [--runs N] [--concurrency C]
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "sandbox/runner.h"
#include "sandbox/spec.h"

namespace {
using Clock = std::chrono::steady_clock;
extern "C" char** environ;

struct Figures {
  double p50_ms = 0, p99_ms = 0, per_second = 0;
  double cpu_ms_per_sandbox = 0;  // busy time of the whole machine per sandbox
  int failures = 0;
};

// Busy CPU time of the whole machine so far, in ms (all cores, kernel workers included: the
// only figure that counts both peers fully, since bwrap's sandboxed programs are reaped by the
// kernel, not by anyone who could account for them). Meaningful on an otherwise idle machine.
double machine_busy_ms() {
  std::FILE* stat = std::fopen("/proc/stat", "r");
  if (!stat) return 0;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
  const int n = std::fscanf(stat, "cpu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system,
                            &idle, &iowait, &irq, &softirq);
  std::fclose(stat);
  if (n != 7) return 0;
  return static_cast<double>(user + nice + system + irq + softirq) * 1000.0 /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// ---- agentbox ------------------------------------------------------------------------------

Figures bench_agentbox(sandbox::Runner& runner, const std::vector<std::string>& argv, int runs,
                       int concurrency) {
  Figures f;
  const sandbox::Spec spec = sandbox::default_spec(argv);
  std::vector<double> latencies;
  const double cpu_before = machine_busy_ms();
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    const sandbox::Result r = runner.run(spec);
    latencies.push_back(ms_since(start));
    if (r.status != sandbox::RunStatus::ok) {
      if (f.failures++ == 0)
        std::fprintf(stderr, "agentbox run failed: %s %s\n",
                     std::string(to_string(r.status)).c_str(), r.error.c_str());
    }
  }
  f.cpu_ms_per_sandbox = (machine_busy_ms() - cpu_before) / runs;
  f.p50_ms = percentile(latencies, 0.5);
  f.p99_ms = percentile(latencies, 0.99);

  // Throughput: one thread, one io_context, `concurrency` runs in flight.
  boost::asio::io_context context;
  int started = 0;
  std::function<void()> launch = [&] {
    if (started >= runs) return;
    ++started;
    runner.async_run(context.get_executor(), spec, [&](const sandbox::Result& r) {
      if (r.status != sandbox::RunStatus::ok) ++f.failures;
      launch();
    });
  };
  const auto start = Clock::now();
  for (int i = 0; i < concurrency; ++i) launch();
  context.run();
  f.per_second = runs / (ms_since(start) / 1000.0);
  return f;
}

// ---- bwrap ---------------------------------------------------------------------------------

std::vector<std::string> bwrap_argv(const std::vector<std::string>& command) {
  std::vector<std::string> a = {"bwrap",      "--unshare-all", "--die-with-parent", "--new-session",
                                "--cap-drop", "ALL",           "--hostname",        "agentbox"};
  for (const char* dir : {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    char link[256];
    const ssize_t n = ::readlink(dir, link, sizeof link - 1);
    if (n > 0) {
      a.insert(a.end(), {"--symlink", std::string(link, n), dir});
    } else if (::access(dir, F_OK) == 0) {
      a.insert(a.end(), {"--ro-bind", dir, dir});
    }
  }
  for (const char* file : {"/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime"})
    if (::access(file, F_OK) == 0) a.insert(a.end(), {"--ro-bind", file, file});
  a.insert(a.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/workspace",
                     "--chdir", "/workspace", "--"});
  a.insert(a.end(), command.begin(), command.end());
  return a;
}

pid_t spawn_bwrap(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& s : args) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawnp(&pid, "bwrap", nullptr, nullptr, argv.data(), environ) != 0) return -1;
  return pid;
}

bool wait_ok(pid_t pid) {
  int status = 0;
  return pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

Figures bench_bwrap(const std::vector<std::string>& command, int runs, int concurrency) {
  Figures f;
  const auto args = bwrap_argv(command);
  std::vector<double> latencies;
  const double cpu_before = machine_busy_ms();
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    if (!wait_ok(spawn_bwrap(args))) ++f.failures;
    latencies.push_back(ms_since(start));
  }
  f.cpu_ms_per_sandbox = (machine_busy_ms() - cpu_before) / runs;
  f.p50_ms = percentile(latencies, 0.5);
  f.p99_ms = percentile(latencies, 0.99);
  const auto start = Clock::now();
  int started = 0, in_flight = 0;
  while (started < runs || in_flight > 0) {
    while (in_flight < concurrency && started < runs) {
      if (spawn_bwrap(args) > 0)
        ++in_flight;
      else
        ++f.failures;
      ++started;
    }
    int status = 0;
    if (::wait(&status) > 0) {
      --in_flight;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++f.failures;
    }
  }
  f.per_second = runs / (ms_since(start) / 1000.0);
  return f;
}

void print_row(const char* who, const char* what, const Figures& f) {
  std::printf(
      "%-9s %-16s p50 %6.2f ms  p99 %6.2f ms  %6.1f sandboxes/s  cpu %5.2f ms/sandbox"
      "  failures %d\n",
      who, what, f.p50_ms, f.p99_ms, f.per_second, f.cpu_ms_per_sandbox, f.failures);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 300, concurrency = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs"))
      runs = std::max(10, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--concurrency"))
      concurrency = std::max(1, std::atoi(argv[i + 1]));
  }
  auto runner = sandbox::Runner::create();
  if (!runner) {
    std::fprintf(stderr, "sandbox_spawn: %s\n", runner.error().message.c_str());
    return 1;
  }
  const bool have_bwrap = ::system("bwrap --version >/dev/null 2>&1") == 0;
  std::printf("sandbox_spawn: %d runs each, throughput with %d in flight, %u cores\n", runs,
              concurrency, std::max(1u, static_cast<unsigned>(sysconf(_SC_NPROCESSORS_ONLN))));
  int failures = 0;
  const std::vector<std::pair<const char*, std::vector<std::string>>> commands = {
      {"/bin/true", {"/bin/true"}}, {"python3 -c pass", {"/usr/bin/python3", "-c", "pass"}}};
  for (const auto& [name, command] : commands) {
    const int n = command.size() > 1 ? std::max(10, runs / 3) : runs;
    const Figures ours = bench_agentbox(*runner.value(), command, n, concurrency);
    print_row("agentbox", name, ours);
    failures += ours.failures;
    if (!have_bwrap) {
      std::printf(
          "bwrap     %-16s skipped: bwrap is not installed (scripts/setup.sh installs it)\n", name);
      continue;
    }
    const Figures peer = bench_bwrap(command, n, concurrency);
    print_row("bwrap", name, peer);
    failures += peer.failures;
    std::printf(
        "ratio     %-16s p50 %.2fx  p99 %.2fx  throughput %.2fx  cpu %.2fx  (agentbox/bwrap)\n",
        name, ours.p50_ms / peer.p50_ms, ours.p99_ms / peer.p99_ms,
        ours.per_second / peer.per_second, ours.cpu_ms_per_sandbox / peer.cpu_ms_per_sandbox);
  }
  return failures ? 1 : 0;
}
