#include "bench/worktrees_agentd.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <system_error>
#include <vector>

#include "agents/runtime/task_repository.h"
#include "bench/worktrees_checks.h"
#include "bench/worktrees_disk.h"
#include "repo/overlay.h"

namespace worktrees_bench {

namespace {

using agents::runtime::TaskRepository;
constexpr const char* kTask = "bench";

std::string agent_id(int i) {
  return "agent-" + std::to_string(i);
}

// The calls take turns on TaskRepository's lock, so a pool of threads cannot overlap them: the
// figures are each call's own time (the lock held) and what its caller waited in all.
void report_times(const Phase& phase, double open_ms, int threads, WorktreeFigures& figures) {
  std::vector<int> order;
  std::vector<double> own = serialised_service_ms(phase, &order);
  print_phase(phase, static_cast<int>(own.size()), threads);
  if (own.empty()) return;
  std::printf(
      "  TaskRepository::open %.1f ms; the first add_worktree (the one base checkout "
      "into .base included) %.0f ms\n",
      open_ms, own[0]);
  std::vector<double> others(own.begin() + 1, own.end());
  std::sort(others.begin(), others.end());
  if (!others.empty()) {
    const double mean = std::accumulate(others.begin(), others.end(), 0.0) / others.size();
    std::printf(
        "  the other %zu, each its own time (TaskRepository serialises its calls with a "
        "mutex: the %d threads take turns): mean %.1f ms, median %.1f ms, max %.1f ms\n",
        others.size(), threads, mean, others[others.size() / 2], others.back());
  }
  figures.max_ms = others.empty() ? own[0] : others.back();
  figures.total_s = open_ms / 1e3 + phase.wall_s;
  std::printf("  all %zu, open and the base checkout included: %.2f s\n", own.size(),
              figures.total_s);
}

// A worktree's own disk: its overlay's upper and work directories (or, checked out, its
// directory), its metadata in .git/worktrees/<name> and its branch's ref, each inode once.
uint64_t own_disk(const fs::path& task_dir, const fs::path& git_dir, const fs::path& dir,
                  const std::string& agent, bool overlay) {
  DiskWalker walker;
  uint64_t disk =
      walker.walk(git_dir / "worktrees" / agents::runtime::worktree_name(kTask, agent)).disk;
  disk += walker.walk(git_dir / "refs" / "heads" / agents::runtime::branch_name(kTask, agent)).disk;
  if (!overlay) return disk + walker.walk(dir).disk;
  const fs::path layers = task_dir / ".overlays" / agent;
  return disk + walker.walk(layers / "upper").disk + walker.walk(layers / "work").disk;
}

void measure_disk(const Source& source, const fs::path& task_dir, const std::vector<int>& made,
                  const std::vector<fs::path>& dirs, WorktreeFigures& figures) {
  const bool overlay = figures.mode == "overlay";
  const fs::path git_dir = source.path / ".git";
  uint64_t own = 0;
  for (int i : made) own += own_disk(task_dir, git_dir, dirs[i], agent_id(i), overlay);
  DiskWalker walker;
  const Usage shown = walker.walk(dirs[made.front()], ".git");
  figures.checked_out = static_cast<double>(shown.file_disk + shown.dir_disk);
  const double n = static_cast<double>(made.size());
  // Checked out on the first call even where the mount is then refused, and left there.
  const double base = static_cast<double>(du(task_dir / ".base"));
  figures.disk_per_worktree = own / n + base / n;
  std::printf(
      "  disk per worktree: %.3f MB its own (%s + its metadata in .git/worktrees and its "
      "branch) + %.2f MB its share of the base checkout (%.2f MB once in .base, for all %zu%s) = "
      "%.2f MB; the files it shows: %.2f MB on disk (%.2f MB apparent)\n",
      mb(own / made.size()),
      overlay ? "its overlay's upper and work directories" : "its checked-out directory",
      mb(base / n), mb(base), made.size(),
      overlay || base == 0 ? "" : ", made for overlays, then unused", mb(figures.disk_per_worktree),
      mb(figures.checked_out), mb(shown.file_apparent));
}

int check_made(const Options& options, const Source& source, TaskRepository& repository,
               const std::vector<int>& made, const std::vector<fs::path>& dirs) {
  int wrong = 0;
  for (int i : made) {
    auto worktree = repository.worktree(agent_id(i));
    auto head = repository.locked([&](repo::Repository& r) { return r.resolve(worktree->branch); });
    if (!head || *head != source.head || worktree->base != source.head) {
      std::fprintf(stderr, "worktrees: %s is not at the base\n", worktree->branch.c_str());
      ++wrong;
    }
    wrong += check_files(source, options, dirs[i]);
  }
  std::printf("  every worktree: on its branch at the base, %llu files, 3 read back: %s\n",
              static_cast<unsigned long long>(source.files), wrong == 0 ? "yes" : "NO");
  std::vector<fs::path> made_dirs;
  made_dirs.reserve(made.size());
  for (int i : made) made_dirs.push_back(dirs[i]);
  return wrong + check_status(made_dirs, options.status_checks);
}

// The agent that wrote (isolation check) sees what it changed in worktree_diff, as the daemon
// does when it commits: libgit2 reading through the overlay.
int check_diff(TaskRepository& repository, const std::string& agent) {
  auto patch = repository.worktree_diff(agent, 1 << 20);
  const std::set<std::string> expected = {"bench-agent-wrote-this.txt", "d000/f000.txt"};
  const bool ok =
      patch && std::set<std::string>(patch->files.begin(), patch->files.end()) == expected;
  std::printf("  worktree_diff of %s: %s\n", agent.c_str(),
              ok ? "the changed and the added file" : "NOT the two files written");
  return ok ? 0 : 1;
}

// The task ends: the TaskRepository goes (unmounting its overlays), then its worktrees and
// branches are pruned from the source as the daemon does.
int end_task(std::unique_ptr<TaskRepository> repository, const Source& source, const fs::path& root,
             const fs::path& task_dir) {
  repository.reset();
  int wrong = 0;
  const std::vector<std::string> left = repo::overlays_under(root);
  std::printf("  TaskRepository destroyed: %zu overlays left in /proc/self/mountinfo%s\n",
              left.size(), left.empty() ? "" : " (WRONG)");
  wrong += left.empty() ? 0 : 1;
  if (auto pruned = TaskRepository::prune(task_dir); !pruned) {
    std::fprintf(stderr, "worktrees: prune: %s\n", pruned.error().message.c_str());
    ++wrong;
  }
  std::string refs, worktrees;
  run(git(source.path, {"for-each-ref", "refs/heads/agentd"}), &refs);
  run(git(source.path, {"worktree", "list", "--porcelain"}), &worktrees);
  // Only the source's own entry (the first line) is left.
  const bool clean = refs.empty() && worktrees.find("\nworktree ") == std::string::npos;
  std::printf("  pruned: %s\n", clean ? "no branch or worktree left in the source" : "LEFT SOME");
  std::error_code error;
  fs::remove_all(task_dir, error);
  return wrong + (clean ? 0 : 1);
}

}  // namespace

std::string overlay_refusal(const fs::path& root) {
  const fs::path probe = root / "overlay-probe";
  std::error_code error;
  for (const char* name : {"lower", "upper", "work", "merged"})
    fs::create_directories(probe / name, error);
  std::string why;
  {
    auto mounted = repo::OverlayMount::mount(probe / "lower", probe / "upper", probe / "work",
                                             probe / "merged");
    if (!mounted) why = mounted.error().message;
  }
  fs::remove_all(probe, error);
  return why;
}

WorktreeFigures run_agentd(const Options& options, const Source& source, const fs::path& root) {
  WorktreeFigures figures;
  const fs::path task_dir = root / "task";
  std::error_code error;
  fs::create_directories(task_dir, error);
  const Snapshot objects = snapshot(source.path / ".git" / "objects");
  ::sync();
  const Clock::time_point open_start = Clock::now();
  agents::RepositorySpec spec;
  spec.path = source.path.string();
  auto opened = TaskRepository::open(spec, task_dir, kTask);
  const double open_ms = seconds_since(open_start) * 1e3;
  if (!opened) {
    std::fprintf(stderr, "worktrees: TaskRepository::open: %s\n", opened.error().message.c_str());
    figures.wrong = 1;
    return figures;
  }
  std::unique_ptr<TaskRepository> repository = std::move(*opened);
  const int count = options.agents;
  std::vector<fs::path> dirs(count);
  std::mutex print_mutex;
  figures.phase = run_pool(
      "agentd worktrees (TaskRepository)", count, options.threads, [](int) { return true; },
      [&](int, int i) {
        dirs[i] = task_dir / agent_id(i);
        auto added = repository->add_worktree(agent_id(i), dirs[i], "");
        if (added) return true;
        std::lock_guard lock(print_mutex);
        std::fprintf(stderr, "worktrees: add_worktree %d: %s\n", i, added.error().message.c_str());
        return false;
      });
  figures.mode = repository->worktree_mode();
  std::printf("agentd's worktrees: mode %s\n", figures.mode.c_str());
  report_times(figures.phase, open_ms, options.threads, figures);

  std::vector<int> made;
  for (int i = 0; i < count; ++i)
    if (repository->worktree(agent_id(i))) made.push_back(i);
  figures.complete = figures.phase.failed == 0 && static_cast<int>(made.size()) == count;
  if (made.empty()) return figures;
  figures.wrong += check_made(options, source, *repository, made, dirs);
  measure_disk(source, task_dir, made, dirs, figures);
  const std::vector<std::string> objects_changed =
      changes(objects, snapshot(source.path / ".git" / "objects"));
  std::printf("  .git/objects of the source: %s\n",
              objects_changed.empty() ? "unchanged (shared)" : "CHANGED");
  figures.wrong += objects_changed.empty() ? 0 : 1;
  if (made.size() >= 2) {
    const fs::path base = figures.mode == "overlay" ? task_dir / ".base" : fs::path();
    figures.wrong += check_isolation(source, dirs[made[0]], dirs[made[1]], base);
    figures.wrong += check_diff(*repository, agent_id(made[0]));
  }
  figures.wrong += end_task(std::move(repository), source, root, task_dir);
  return figures;
}

}  // namespace worktrees_bench
