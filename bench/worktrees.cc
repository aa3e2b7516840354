// bench/worktrees: agent worktrees made the way agentd makes them against `git clone` of the
// same repository (issue 13).
//
//   worktrees [--agents 32] [--threads N] [--dirs 100] [--files 100] [--file-kb 10]
//             [--dir PARENT] [--status-checks 4] [--no-local-clones]
//
// It generates a repository of dirs x files text files (default 10,000 files, ~100 MB, fixed
// seed) with the git CLI and repacks it (not measured), then in one run:
//   1. agentd's way (worktrees_agentd.cc): agents::runtime::TaskRepository::open on it, then
//      add_worktree for --agents agents from a pool of --threads threads (default: the cores this
//      process may use). The first call checks the base out once into <task>/.base; each agent
//      gets an overlay of it, or, where mounting is refused (not root), a full checkout. Checked:
//      the files, `git status`, isolation between agents, no overlay left after the task;
//   2. full libgit2 checkouts (repo::Repository::add_worktree), in parallel;
//   3. as many `git clone -q SRC DIR` (local: objects hardlinked), `git clone --no-local`
//      (objects copied through a pack; --no-local-clones leaves it out) and `cp -r` of the files.
// Disk is counted like du (st_blocks * 512, each inode once; worktrees_disk.h).
// Targets (issue 13, 2 cores), from agentd's way: at most 1 s per worktree, 32 in at most 8 s,
// disk per worktree at most the size of its checked-out files, at least 5x faster than clones.
// Everything it creates lives under one temporary directory, removed at the end, on failure too.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "bench/worktrees_agentd.h"
#include "bench/worktrees_common.h"
#include "bench/worktrees_peers.h"
#include "bench/worktrees_repo.h"

namespace {

using namespace worktrees_bench;  // NOLINT(google-build-using-namespace): this program's parts

extern "C" void on_signal(int /*signal*/) {
  g_stop.store(true);
}

bool parse_int(const char* text, int* value) {
  char* end = nullptr;
  const long parsed = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || parsed <= 0 || parsed > 100000) return false;
  *value = static_cast<int>(parsed);
  return true;
}

int usage_error() {
  std::fprintf(stderr,
               "usage: worktrees [--agents 32] [--threads N] [--dirs 100] [--files 100] "
               "[--file-kb 10] [--dir PARENT] [--status-checks 4] [--no-local-clones]\n");
  return 2;
}

// Options from the command line; nullopt: a usage error.
std::optional<Options> parse(int argc, char** argv) {
  Options options;
  const char* tmpdir = std::getenv("TMPDIR");
  options.parent = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next_int = [&](int* value) { return i + 1 < argc && parse_int(argv[++i], value); };
    bool ok = true;
    if (arg == "--agents")
      ok = next_int(&options.agents);
    else if (arg == "--threads")
      ok = next_int(&options.threads);
    else if (arg == "--dirs")
      ok = next_int(&options.dirs);
    else if (arg == "--files")
      ok = next_int(&options.files);
    else if (arg == "--file-kb")
      ok = next_int(&options.file_kb);
    else if (arg == "--status-checks")
      ok = next_int(&options.status_checks);
    else if (arg == "--dir" && i + 1 < argc)
      options.parent = argv[++i];
    else if (arg == "--no-local-clones")
      options.no_local_clones = false;
    else
      ok = false;
    if (!ok) return std::nullopt;
  }
  if (options.threads == 0) options.threads = std::max(1, usable_cores());
  return options;
}

struct Peers {
  CloneFigures clone;
  std::optional<CloneFigures> no_local;
  std::optional<CloneFigures> copy;
};

Peers run_peers(const Options& options, const Source& source, const fs::path& root) {
  Peers peers;
  const std::string src = source.path.string();
  peers.clone = run_clones(options, source, root, "git clone", [&](const fs::path& dir) {
    return std::vector<std::string>{"git", "-c", "gc.auto=0", "clone", "-q", src, dir.string()};
  });
  if (options.no_local_clones && !g_stop.load())
    peers.no_local =
        run_clones(options, source, root, "git clone --no-local", [&](const fs::path& dir) {
          return std::vector<std::string>{"git", "clone", "-q", "--no-local", src, dir.string()};
        });
  // The floor under any checkout: copying the same files (from the page cache) with cp.
  std::vector<std::string> top;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(source.path, error))
    if (entry.path().filename() != ".git") top.push_back(entry.path().string());
  std::sort(top.begin(), top.end());
  if (!g_stop.load())
    peers.copy =
        run_clones(options, source, root, "cp -r of the files (floor)", [&](const fs::path& dir) {
          fs::create_directory(dir, error);
          std::vector<std::string> argv = {"cp", "-r", "-t", dir.string()};
          argv.insert(argv.end(), top.begin(), top.end());
          return argv;
        });
  return peers;
}

void print_comparisons(const WorktreeFigures& agentd, const WorktreeFigures& checkouts,
                       const Peers& peers) {
  auto line = [&](const char* what, double seconds) {
    std::printf("agentd's worktrees (%s) vs %s: %.2fx the speed (%.2f s vs %.2f s)\n",
                agentd.mode.c_str(), what, seconds / agentd.total_s, agentd.total_s, seconds);
  };
  line("full checkouts", checkouts.total_s);
  line("git clone", peers.clone.phase.wall_s);
  if (peers.no_local) line("git clone --no-local", peers.no_local->phase.wall_s);
  if (peers.copy) line("cp -r of the files", peers.copy->phase.wall_s);
}

// One line per target, from agentd's worktrees against the clones of this run.
void print_targets(const Options& options, const WorktreeFigures& agentd, const Peers& peers) {
  const bool sound = agentd.complete && agentd.wrong == 0;
  auto verdict = [&](bool met) { return met && sound ? "met" : "MISSED"; };
  const double ratio = agentd.disk_per_worktree / agentd.checked_out;
  const double speedup = peers.clone.phase.wall_s / agentd.total_s;
  std::printf("targets from agentd's worktrees, mode %s:\n", agentd.mode.c_str());
  std::printf(
      "target worktree_latency: %.0f ms (goal 1000 ms; the slowest call after the first, "
      "its own time): %s\n",
      agentd.max_ms, verdict(agentd.max_ms <= 1000));
  std::printf("target worktrees_%d: %.2f s (goal 8 s; the base checkout included): %s\n",
              options.agents, agentd.total_s, verdict(agentd.total_s <= 8));
  std::printf(
      "target disk_per_worktree: %.3f x (goal 1.0x; its own plus its share of the base "
      "checkout, over the disk of the files it shows): %s\n",
      ratio, verdict(ratio <= 1.0));
  std::printf("target vs_clones: %.2f x (goal 5x; git clone's wall time over agentd's): %s\n",
              speedup, verdict(speedup >= 5));
}

int bench(const Options& options, const fs::path& root) {
  std::string fs_type;
  run({"stat", "-f", "-c", "%T", root.string()}, &fs_type);
  while (!fs_type.empty() && fs_type.back() == '\n') fs_type.pop_back();
  std::printf("directory: %s (%s)\n", root.c_str(), fs_type.c_str());
  const std::optional<Source> source = make_source(options, root);
  if (!source) return 1;
  const std::string refused = overlay_refusal(root);
  if (refused.empty())
    std::printf("overlays: can mount here (uid %d)\n\n", static_cast<int>(::geteuid()));
  else
    std::printf(
        "overlays: the overlay figures are MISSING: %s (uid %d; agentd then checks each "
        "worktree out in full, and the targets below come from that mode)\n\n",
        refused.c_str(), static_cast<int>(::geteuid()));
  const WorktreeFigures agentd = run_agentd(options, *source, root);
  std::printf("\n");
  const WorktreeFigures checkouts = run_checkouts(options, *source, root);
  std::printf("\n");
  const Peers peers = run_peers(options, *source, root);
  std::printf("\n");
  print_comparisons(agentd, checkouts, peers);
  print_targets(options, agentd, peers);
  const int failed = (agentd.complete ? 0 : 1) + agentd.wrong + checkouts.wrong +
                     checkouts.phase.failed + peers.clone.phase.failed +
                     (peers.no_local ? peers.no_local->phase.failed : 0);
  if (failed > 0 || g_stop.load()) {
    std::fprintf(stderr, "worktrees: %d failures%s\n", failed,
                 g_stop.load() ? " (interrupted)" : "");
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Options> options = parse(argc, argv);
  if (!options) return usage_error();
  // git reads neither the user's nor the system's configuration: the same git on every machine.
  ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  ::setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
  ::setenv("GIT_TERMINAL_PROMPT", "0", 1);
  struct sigaction action {};
  action.sa_handler = on_signal;
  ::sigemptyset(&action.sa_mask);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(signal, &action, nullptr);
  std::printf("machine: %d cores usable (%u online), loadavg %s\n", usable_cores(),
              std::thread::hardware_concurrency(), read_text("/proc/loadavg").c_str());
  int rc = 1;
  {
    TempRoot root(options->parent);
    if (root.path().empty()) {
      std::fprintf(stderr, "worktrees: cannot create a directory under %s: %s\n",
                   options->parent.c_str(), std::strerror(errno));
      return 1;
    }
    rc = bench(*options, root.path());
  }
  std::printf("loadavg at the end: %s\n", read_text("/proc/loadavg").c_str());
  return rc;
}
