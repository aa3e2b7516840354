#include "bench/worktrees_peers.h"

#include <cstdio>
#include <mutex>
#include <optional>
#include <system_error>

#include "bench/worktrees_checks.h"
#include "bench/worktrees_disk.h"
#include "repo/repository.h"

namespace worktrees_bench {

namespace {

// Disk per checked-out worktree: its directory plus what the source's .git grew by (its
// metadata and branch), shared out; the files it shows for the ratio.
void measure_checkouts(const std::vector<std::optional<repo::Worktree>>& worktrees,
                       uint64_t git_before, const Source& source, WorktreeFigures& figures) {
  Usage sum;
  int measured = 0;
  for (const auto& worktree : worktrees) {
    if (!worktree) continue;
    DiskWalker walker;
    sum += walker.walk(worktree->dir, ".git");
    ++measured;
  }
  if (measured == 0) return;
  const uint64_t git_after = du(source.path / ".git");
  const double n = measured;
  const double metadata = git_after > git_before ? (git_after - git_before) / n : 0;
  figures.checked_out = (sum.file_disk + sum.dir_disk) / n;
  figures.disk_per_worktree = sum.disk / n + metadata;
  figures.complete = figures.complete && measured == static_cast<int>(worktrees.size());
  std::printf(
      "  disk per worktree: %.2f MB = its directory %.2f MB (checked-out files %.2f MB) + "
      "its metadata and branch in the source's .git %.2f MB\n",
      mb(figures.disk_per_worktree), mb(sum.disk / n), mb(sum.file_disk / n), mb(metadata));
}

}  // namespace

WorktreeFigures run_checkouts(const Options& options, const Source& source, const fs::path& root) {
  WorktreeFigures figures;
  figures.mode = "checkout";
  const int count = options.agents, threads = options.threads;
  const fs::path parent = root / "checkouts";
  std::error_code error;
  fs::create_directories(parent, error);
  const uint64_t git_before = du(source.path / ".git");
  std::vector<std::optional<repo::Repository>> per_thread(threads);
  std::vector<std::optional<repo::Worktree>> worktrees(count);
  std::mutex print_mutex;
  auto complain = [&](const std::string& what) {
    std::lock_guard lock(print_mutex);
    std::fprintf(stderr, "worktrees: %s\n", what.c_str());
    return false;
  };
  figures.phase = run_pool(
      "full checkouts (Repository::add_worktree)", count, threads,
      [&](int t) {
        auto opened = repo::Repository::open(source.path);
        if (!opened) return complain("open: " + opened.error().message);
        per_thread[t].emplace(std::move(*opened));
        return true;
      },
      [&](int t, int i) {
        const std::string n = std::to_string(i);
        auto added = per_thread[t]->add_worktree("bench-checkout-" + n, "bench/checkout-" + n,
                                                 source.head, parent / ("checkout-" + n));
        if (!added) return complain("add_worktree " + n + ": " + added.error().message);
        worktrees[i] = std::move(*added);
        return true;
      });
  print_phase(figures.phase, count, threads);
  figures.total_s = figures.phase.wall_s;
  figures.max_ms = figures.phase.max_ms();
  figures.complete = figures.phase.failed == 0;
  for (const auto& worktree : worktrees)
    if (worktree && check_files(source, options, worktree->dir) > 0) ++figures.wrong;
  measure_checkouts(worktrees, git_before, source, figures);
  // Forgotten (not timed: agentd does it when a task ends), then their files removed.
  per_thread.clear();
  auto remover = repo::Repository::open(source.path);
  for (int i = 0; i < count && remover; ++i)
    if (worktrees[i] && !remover->remove_worktree(*worktrees[i], false)) ++figures.wrong;
  fs::remove_all(parent, error);
  return figures;
}

CloneFigures run_clones(const Options& options, const Source& source, const fs::path& root,
                        const std::string& label,
                        const std::function<std::vector<std::string>(const fs::path&)>& command) {
  CloneFigures figures;
  const int count = options.agents;
  const fs::path parent = root / "clones";
  std::error_code error;
  fs::create_directories(parent, error);
  figures.phase = run_pool(
      label, count, options.threads, [](int) { return true; },
      [&](int, int i) { return run(command(parent / std::to_string(i))); });
  // A clone's own disk: inodes shared with the source (hardlinked objects) are not its.
  DiskWalker walker;
  (void)walker.walk(source.path);
  uint64_t disk = 0, git_dir = 0, shared = 0;
  for (int i = 0; i < count; ++i) {
    const Usage usage = walker.walk(parent / std::to_string(i) / ".git");
    git_dir += usage.disk;
    shared += usage.skipped_disk;
    disk += usage.disk + walker.walk(parent / std::to_string(i)).disk;
  }
  figures.disk_per_clone = static_cast<double>(disk) / count;
  figures.git_dir_per_clone = static_cast<double>(git_dir) / count;
  figures.shared_per_clone = static_cast<double>(shared) / count;
  print_phase(figures.phase, count, options.threads);
  std::printf(
      "  disk per copy: %.2f MB (its .git %.2f MB; %.2f MB of objects hardlinked to "
      "the source, not counted)\n",
      mb(figures.disk_per_clone), mb(figures.git_dir_per_clone), mb(figures.shared_per_clone));
  fs::remove_all(parent, error);
  return figures;
}

}  // namespace worktrees_bench
