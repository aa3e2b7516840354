// bench/worktrees: what every phase shares: the options, running the git CLI, and the pool of
// threads that times a phase item by item.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace worktrees_bench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  int agents = 32;
  int threads = 0;  // 0: the cores this process may use
  int dirs = 100;
  int files = 100;
  int file_kb = 10;
  fs::path parent;
  bool no_local_clones = true;
  int status_checks = 4;  // worktrees `git status` runs in (spread over them)
};

// Set by SIGINT/SIGTERM/SIGHUP: pools stop taking items.
extern std::atomic<bool> g_stop;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
inline double mb(uint64_t bytes) {
  return static_cast<double>(bytes) / 1e6;
}

int usable_cores();
std::string read_text(const fs::path& path);  // trailing blanks and newlines dropped

// Runs argv (no shell), its stdout into *out when given; true when it exits 0.
bool run(const std::vector<std::string>& argv, std::string* out = nullptr);
// `git -C dir` with a fixed identity and no background gc or maintenance.
std::vector<std::string> git(const fs::path& dir, std::vector<std::string> args);

struct Phase {
  std::string name;
  double wall_s = 0;
  std::vector<double> latency_ms;  // per item, its own call, from its start to its end
  std::vector<double> end_ms;      // per item, when it ended (since the phase began)
  int failed = 0;
  double mean_ms() const;
  double median_ms() const;
  double max_ms() const;
};

// Runs item(thread, index) for index 0..count-1 from `threads` threads, after sync() so the
// previous phase's writeback is not charged to this one. setup(thread) runs once in each thread
// before its first item (inside the wall time).
Phase run_pool(const std::string& name, int count, int threads,
               const std::function<bool(int)>& setup, const std::function<bool(int, int)>& item);
void print_phase(const Phase& phase, int count, int threads);

// What a way of making worktrees achieved, for the targets.
struct WorktreeFigures {
  Phase phase;
  std::string mode;              // agentd's: "overlay" or "checkout"
  double total_s = 0;            // all of them, from the first call's start to the last's end
  double max_ms = 0;             // the slowest worktree
  double disk_per_worktree = 0;  // its own, plus its share of what all share
  double checked_out = 0;        // disk of the files (and directories) a worktree shows
  int wrong = 0;                 // checks that failed
  bool complete = false;         // every worktree made and measured
};

// Times of calls that take turns (one lock): each call's own time is from when it started or the
// previous one ended, whichever is later, to its end; the rest it spent waiting for the lock.
// Returns them in the order the calls ran; *order gets their indices.
std::vector<double> serialised_service_ms(const Phase& phase, std::vector<int>* order);

}  // namespace worktrees_bench
