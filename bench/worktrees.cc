// bench/worktrees: agent worktrees (repo::Repository::add_worktree, libgit2) against `git clone`
// of the same repository (issue 13).
//
//   worktrees [--agents 32] [--threads N] [--dirs 100] [--files 100] [--file-kb 10]
//             [--dir PARENT] [--no-local-clones]
//
// It generates a repository of dirs x files text files (default 10,000 files, ~100 MB, fixed
// seed) with the git CLI and repacks it (not measured, its time is printed), then in one run:
//   1. creates --agents worktrees, each on its own branch agentd/bench/agent-N at HEAD, from a
//      pool of --threads threads (default: the cores this process may use), each thread with
//      its own repo::Repository (libgit2 repository objects are not shared across threads);
//   2. the same number of `git clone -q SRC DIR` (local: objects hardlinked) with the same pool;
//   3. unless --no-local-clones is off, as many `git clone -q --no-local SRC DIR` (objects
//      copied through a pack, what a clone from another machine writes).
// Disk is counted like du (st_blocks * 512, each inode once): a worktree's own directory plus
// what the repository's .git grew by (its metadata in .git/worktrees/<name>, its branch, and
// objects, which must not grow), a clone's directory less the inodes it shares with the source.
// Each phase starts after sync(), so the previous phase's writeback is not charged to it.
// Targets (issue 13, 2 cores): at most 1 s per worktree, 32 in at most 8 s, disk per worktree
// at most the size of its checked-out files, at least 5x faster than the clones.
// Everything it creates lives under one temporary directory, removed at the end, on failure too.
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "repo/repository.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int /*signal*/) {
  g_stop.store(true);
}

struct Options {
  int agents = 32;
  int threads = 0;  // 0: the cores this process may use
  int dirs = 100;
  int files = 100;
  int file_kb = 10;
  fs::path parent;
  bool no_local_clones = true;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
double mb(uint64_t bytes) {
  return bytes / 1e6;
}

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

// Runs argv (no shell), its stdout into *out when given; true when it exits 0.
bool run(const std::vector<std::string>& argv, std::string* out = nullptr) {
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
  int error = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (out != nullptr) {
    ::close(pipe_fds[1]);
    if (error == 0) {
      char buffer[4096];
      ssize_t n = 0;
      while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
        if (n > 0) out->append(buffer, static_cast<size_t>(n));
      }
    }
    ::close(pipe_fds[0]);
  }
  if (error != 0) {
    std::fprintf(stderr, "worktrees: cannot run %s: %s\n", argv[0].c_str(), std::strerror(error));
    return false;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
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

// The directory every file of this run lives under; removed when it goes out of scope.
class TempRoot {
 public:
  explicit TempRoot(const fs::path& parent) {
    std::string pattern = (parent / "agentd-bench-worktrees.XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;
  ~TempRoot() {
    if (path_.empty()) return;
    std::error_code error;
    fs::remove_all(path_, error);
    if (error) {
      std::fprintf(stderr, "worktrees: could not remove %s: %s\n", path_.c_str(),
                   error.message().c_str());
    } else {
      std::printf("cleanup: removed %s\n", path_.c_str());
    }
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// ---- the generated repository ------------------------------------------------------------

// splitmix64: the same files on every machine and library (std distributions are not).
struct Random {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
};

// Lines of words from a fixed vocabulary of 4,096 made-up words: text that compresses about
// like source code (zlib ~2.5x), and no two files alike.
bool generate_tree(const fs::path& top, const Options& options, uint64_t* bytes) {
  Random random{20240613};
  std::vector<std::string> words(4096);
  for (std::string& word : words) {
    size_t length = 2 + random.below(9);
    for (size_t i = 0; i < length; ++i) word.push_back(static_cast<char>('a' + random.below(26)));
  }
  static const char* const kPunctuation[] = {" ", " ", " ", " ", " ", "_", ".", "(", ", ", " = "};
  std::string text;
  *bytes = 0;
  for (int d = 0; d < options.dirs; ++d) {
    char dir_name[32];
    std::snprintf(dir_name, sizeof dir_name, "d%03d", d);
    fs::path dir = top / dir_name;
    std::error_code error;
    fs::create_directories(dir, error);
    if (error) return false;
    for (int f = 0; f < options.files; ++f) {
      // 80%-120% of --file-kb, so the mean is --file-kb.
      size_t size = static_cast<size_t>(options.file_kb) * 1024 * (80 + random.below(41)) / 100;
      text.clear();
      size_t line = 0;
      while (text.size() < size) {
        text += words[random.below(words.size())];
        if (++line % 9 == 0) {
          text += '\n';
          if (random.below(4) == 0) text += "    ";
        } else {
          text += kPunctuation[random.below(std::size(kPunctuation))];
        }
      }
      text.resize(size);
      text.back() = '\n';
      char file_name[32];
      std::snprintf(file_name, sizeof file_name, "f%03d.txt", f);
      std::ofstream out(dir / file_name, std::ios::binary);
      out.write(text.data(), static_cast<std::streamsize>(text.size()));
      if (!out) return false;
      *bytes += text.size();
    }
  }
  return true;
}

// ---- disk, like du -------------------------------------------------------------------------

struct Usage {
  uint64_t disk = 0;           // st_blocks * 512 of every inode not seen before
  uint64_t file_disk = 0;      // of regular files only (the checked-out files)
  uint64_t file_apparent = 0;  // st_size of regular files
  uint64_t dir_disk = 0;       // of directories (the top one included)
  uint64_t files = 0;          // regular files counted
  uint64_t shared = 0;         // inodes skipped: counted before (hardlinks)
  uint64_t skipped_disk = 0;   // st_blocks * 512 of those
};

// Walks `top` without following links. `seen` holds (dev, ino) of inodes counted already: an
// inode is counted once, however many links it has. `exclude_top_entry` is a name directly under
// `top` whose blocks go to `disk` but not to the file figures (a worktree's `.git` file).
class DiskWalker {
 public:
  Usage walk(const fs::path& top, const std::string& exclude_top_entry = "") {
    Usage usage;
    visit(top, usage, exclude_top_entry, true);
    return usage;
  }
  void forget() { seen_.clear(); }

 private:
  void visit(const fs::path& path, Usage& usage, const std::string& exclude, bool is_top) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    uint64_t blocks = static_cast<uint64_t>(st.st_blocks) * 512;
    if (!seen_.insert({st.st_dev, st.st_ino}).second) {
      ++usage.shared;
      usage.skipped_disk += blocks;
      return;
    }
    usage.disk += blocks;
    if (S_ISREG(st.st_mode)) {
      bool excluded =
          !exclude.empty() && path.filename() == exclude && path.parent_path() == top_of_walk_;
      if (!excluded) {
        usage.file_disk += blocks;
        usage.file_apparent += static_cast<uint64_t>(st.st_size);
        ++usage.files;
      }
    } else if (S_ISDIR(st.st_mode)) {
      if (is_top) top_of_walk_ = path;
      usage.dir_disk += blocks;
      std::error_code error;
      for (const fs::directory_entry& entry : fs::directory_iterator(path, error)) {
        visit(entry.path(), usage, exclude, false);
      }
    }
  }
  std::set<std::pair<dev_t, ino_t>> seen_;
  fs::path top_of_walk_;
};

uint64_t du(const fs::path& path) {
  DiskWalker walker;
  return walker.walk(path).disk;
}

// Every path under `top` with its inode and size: what changed in .git/objects, if anything.
std::map<std::string, std::pair<ino_t, off_t>> snapshot(const fs::path& top) {
  std::map<std::string, std::pair<ino_t, off_t>> entries;
  std::error_code error;
  for (fs::recursive_directory_iterator it(top, error), end; !error && it != end;
       it.increment(error)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0) {
      entries[it->path().lexically_relative(top).string()] = {st.st_ino, st.st_size};
    }
  }
  return entries;
}

// ---- timed phases ------------------------------------------------------------------------

struct Phase {
  std::string name;
  double wall_s = 0;
  std::vector<double> latency_ms;  // per item, its own call
  int failed = 0;
  double mean_ms() const {
    double sum = 0;
    for (double ms : latency_ms) sum += ms;
    return latency_ms.empty() ? 0 : sum / latency_ms.size();
  }
  double max_ms() const {
    return latency_ms.empty() ? 0 : *std::max_element(latency_ms.begin(), latency_ms.end());
  }
  double median_ms() const {
    if (latency_ms.empty()) return 0;
    std::vector<double> sorted = latency_ms;
    std::sort(sorted.begin(), sorted.end());
    return sorted[sorted.size() / 2];
  }
};

// Runs item(thread, index) for index 0..count-1 from `threads` threads; setup(thread) runs once
// in each thread before its first item (inside the wall time). An item's latency is its own call.
Phase run_pool(const std::string& name, int count, int threads,
               const std::function<bool(int)>& setup, const std::function<bool(int, int)>& item) {
  Phase phase;
  phase.name = name;
  phase.latency_ms.assign(count, 0);
  std::vector<char> done(count, 0);  // 1: succeeded; 0: failed or never ran
  std::atomic<int> next{0};
  ::sync();
  Clock::time_point start = Clock::now();
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    // A thread whose setup fails leaves its share to the others.
    pool.emplace_back([&, t] {
      if (!setup(t)) return;
      for (int i = next.fetch_add(1); i < count && !g_stop.load(); i = next.fetch_add(1)) {
        Clock::time_point item_start = Clock::now();
        done[i] = item(t, i) ? 1 : 0;
        phase.latency_ms[i] = seconds_since(item_start) * 1e3;
      }
    });
  }
  for (std::thread& thread : pool) thread.join();
  phase.wall_s = seconds_since(start);
  phase.failed = static_cast<int>(std::count(done.begin(), done.end(), 0));
  return phase;
}

void print_phase(const Phase& phase, int count, int threads) {
  std::string failed =
      phase.failed > 0 ? ", " + std::to_string(phase.failed) + " of them FAILED" : "";
  std::printf(
      "%-28s %d in %.2f s with %d threads (%.1f per s); each: mean %.0f ms, median "
      "%.0f ms, max %.0f ms%s\n",
      (phase.name + ":").c_str(), count, phase.wall_s, threads, count / phase.wall_s,
      phase.mean_ms(), phase.median_ms(), phase.max_ms(), failed.c_str());
}

bool parse_int(const char* text, int* value) {
  char* end = nullptr;
  long parsed = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || parsed <= 0 || parsed > 100000) return false;
  *value = static_cast<int>(parsed);
  return true;
}

int usage_error() {
  std::fprintf(stderr,
               "usage: worktrees [--agents 32] [--threads N] [--dirs 100] [--files 100] "
               "[--file-kb 10] [--dir PARENT] [--no-local-clones]\n");
  return 2;
}

int bench(const Options& options, const fs::path& root);

}  // namespace

int main(int argc, char** argv) {
  Options options;
  const char* tmpdir = std::getenv("TMPDIR");
  options.parent = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  bool no_local = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next_int = [&](int* value) { return i + 1 < argc && parse_int(argv[++i], value); };
    if (arg == "--agents") {
      if (!next_int(&options.agents)) return usage_error();
    } else if (arg == "--threads") {
      if (!next_int(&options.threads)) return usage_error();
    } else if (arg == "--dirs") {
      if (!next_int(&options.dirs)) return usage_error();
    } else if (arg == "--files") {
      if (!next_int(&options.files)) return usage_error();
    } else if (arg == "--file-kb") {
      if (!next_int(&options.file_kb)) return usage_error();
    } else if (arg == "--dir" && i + 1 < argc) {
      options.parent = argv[++i];
    } else if (arg == "--no-local-clones") {
      no_local = true;
    } else {
      return usage_error();
    }
  }
  options.no_local_clones = !no_local;
  if (options.threads == 0) options.threads = std::max(1, usable_cores());

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
    TempRoot root(options.parent);
    if (root.path().empty()) {
      std::fprintf(stderr, "worktrees: cannot create a directory under %s: %s\n",
                   options.parent.c_str(), std::strerror(errno));
      return 1;
    }
    rc = bench(options, root.path());
  }
  std::printf("loadavg at the end: %s\n", read_text("/proc/loadavg").c_str());
  return rc;
}

namespace {

int bench(const Options& options, const fs::path& root) {
  const int count = options.agents;
  const int threads = options.threads;
  const fs::path source = root / "source";
  std::string fs_type;
  run({"stat", "-f", "-c", "%T", root.string()}, &fs_type);
  while (!fs_type.empty() && fs_type.back() == '\n') fs_type.pop_back();
  std::printf("directory: %s (%s)\n", root.c_str(), fs_type.c_str());

  // ---- setup, not measured
  Clock::time_point setup_start = Clock::now();
  uint64_t generated = 0;
  if (!generate_tree(source, options, &generated)) {
    std::fprintf(stderr, "worktrees: cannot write the files under %s\n", source.c_str());
    return 1;
  }
  double write_s = seconds_since(setup_start);
  Clock::time_point git_start = Clock::now();
  if (!run(git(source, {"init", "-q", "-b", "main"})) || !run(git(source, {"add", "-A"})) ||
      !run(git(source, {"commit", "-q", "-m", "generated by bench/worktrees"}))) {
    std::fprintf(stderr, "worktrees: git init/add/commit failed in %s\n", source.c_str());
    return 1;
  }
  double commit_s = seconds_since(git_start);
  Clock::time_point repack_start = Clock::now();
  // A repository agentd works on came from a clone: its objects are in a pack.
  if (!run(git(source, {"repack", "-a", "-d", "-q"})) ||
      !run(git(source, {"prune-packed", "-q"}))) {
    std::fprintf(stderr, "worktrees: git repack failed in %s\n", source.c_str());
    return 1;
  }
  double repack_s = seconds_since(repack_start);
  uint64_t objects_before = du(source / ".git" / "objects");
  auto objects_snapshot = snapshot(source / ".git" / "objects");
  uint64_t git_before = du(source / ".git");
  std::printf(
      "setup (not measured): %d files, %.1f MB of text written in %.1f s; git init+add+commit "
      "%.1f s; git repack %.1f s; .git/objects %.1f MB on disk\n",
      options.dirs * options.files, mb(generated), write_s, commit_s, repack_s, mb(objects_before));

  // ---- worktrees through repo::Repository
  std::string head;
  {
    base::Expected<repo::Repository> opened = repo::Repository::open(source);
    if (!opened) {
      std::fprintf(stderr, "worktrees: repo::Repository::open: %s\n",
                   opened.error().message.c_str());
      return 1;
    }
    base::Expected<std::string> resolved = opened->resolve("HEAD");
    if (!resolved) {
      std::fprintf(stderr, "worktrees: resolve(HEAD): %s\n", resolved.error().message.c_str());
      return 1;
    }
    head = *resolved;
  }
  std::printf("source HEAD %s\n\n", head.c_str());

  const fs::path worktree_parent = root / "worktrees";
  std::error_code mkdir_error;
  fs::create_directories(worktree_parent, mkdir_error);
  std::vector<std::optional<repo::Repository>> per_thread(threads);
  std::vector<std::optional<repo::Worktree>> worktrees(count);
  std::mutex print_mutex;
  auto name_of = [](int i) { return "bench-agent-" + std::to_string(i); };
  Phase added = run_pool(
      "worktrees (add_worktree)", count, threads,
      [&](int t) {
        base::Expected<repo::Repository> opened = repo::Repository::open(source);
        if (!opened) {
          std::lock_guard<std::mutex> lock(print_mutex);
          std::fprintf(stderr, "worktrees: open in thread %d: %s\n", t,
                       opened.error().message.c_str());
          return false;
        }
        per_thread[t].emplace(std::move(*opened));
        return true;
      },
      [&](int t, int i) {
        base::Expected<repo::Worktree> worktree =
            per_thread[t]->add_worktree(name_of(i), "agentd/bench/agent-" + std::to_string(i), head,
                                        worktree_parent / ("agent-" + std::to_string(i)));
        if (!worktree) {
          std::lock_guard<std::mutex> lock(print_mutex);
          std::fprintf(stderr, "worktrees: add_worktree %d: %s\n", i,
                       worktree.error().message.c_str());
          return false;
        }
        worktrees[i] = std::move(*worktree);
        return true;
      });
  print_phase(added, count, threads);

  // Every worktree: all the files, on its branch at HEAD; git itself finds it clean.
  int wrong = 0;
  base::Expected<repo::Repository> checker = repo::Repository::open(source);
  for (int i = 0; i < count && checker; ++i) {
    if (!worktrees[i]) continue;
    base::Expected<std::string> branch_head = checker->resolve(worktrees[i]->branch);
    if (!branch_head || *branch_head != head || worktrees[i]->base != head) {
      std::fprintf(stderr, "worktrees: %s: branch %s is not at HEAD\n", worktrees[i]->name.c_str(),
                   worktrees[i]->branch.c_str());
      ++wrong;
    }
  }
  // The first one made: `git status` (git's own reading of libgit2's index) finds it clean.
  for (const std::optional<repo::Worktree>& worktree : worktrees) {
    if (!worktree) continue;
    std::string status;
    if (!run(git(worktree->dir, {"status", "--porcelain"}), &status) || !status.empty()) {
      std::fprintf(stderr, "worktrees: `git status` in %s is not clean:\n%s\n",
                   worktree->dir.c_str(), status.c_str());
      ++wrong;
    }
    break;
  }

  // Disk: each worktree's directory, and what .git grew by, shared out.
  uint64_t objects_after = du(source / ".git" / "objects");
  std::vector<std::string> objects_changed;
  for (const auto& [path, entry] : snapshot(source / ".git" / "objects")) {
    auto before = objects_snapshot.find(path);
    if (before == objects_snapshot.end()) {
      objects_changed.push_back("new " + path);
    } else if (before->second != entry) {
      objects_changed.push_back("changed " + path);
    }
  }
  uint64_t git_after = du(source / ".git");
  Usage worktree_sum;
  int measured = 0;
  uint64_t expected_files = static_cast<uint64_t>(options.dirs) * options.files;
  for (int i = 0; i < count; ++i) {
    if (!worktrees[i]) continue;
    DiskWalker walker;
    Usage usage = walker.walk(worktrees[i]->dir, ".git");
    if (usage.files != expected_files) {
      std::fprintf(stderr, "worktrees: %s has %llu files, not %llu\n", worktrees[i]->dir.c_str(),
                   static_cast<unsigned long long>(usage.files),
                   static_cast<unsigned long long>(expected_files));
      ++wrong;
    }
    worktree_sum.disk += usage.disk;
    worktree_sum.file_disk += usage.file_disk;
    worktree_sum.file_apparent += usage.file_apparent;
    worktree_sum.dir_disk += usage.dir_disk;
    ++measured;
  }
  uint64_t index_size = 0;
  {
    struct stat st {};
    auto first = std::find_if(worktrees.begin(), worktrees.end(),
                              [](const std::optional<repo::Worktree>& w) { return w.has_value(); });
    if (first != worktrees.end() &&
        ::stat((source / ".git" / "worktrees" / (*first)->name / "index").c_str(), &st) == 0) {
      index_size = static_cast<uint64_t>(st.st_blocks) * 512;
    }
  }
  double worktree_disk_ratio = 0;
  if (measured > 0) {
    double n = measured;
    double checked_out = (worktree_sum.file_disk + worktree_sum.dir_disk) / n;
    double own_dir = worktree_sum.disk / n;
    double metadata = git_after > git_before ? (git_after - git_before) / n : 0;
    double objects_growth =
        objects_after > objects_before ? static_cast<double>(objects_after - objects_before) : 0;
    worktree_disk_ratio = (own_dir + metadata) / checked_out;
    std::printf(
        "  disk per worktree: %.2f MB = checked-out files %.2f MB (their apparent size %.2f MB) + "
        "directories %.2f MB + its .git file %.3f MB + its metadata in the repository's .git "
        "%.2f MB (of it the index %.2f MB)\n",
        mb(own_dir + metadata), mb(worktree_sum.file_disk / n), mb(worktree_sum.file_apparent / n),
        mb(worktree_sum.dir_disk / n),
        mb(own_dir - (worktree_sum.file_disk + worktree_sum.dir_disk) / n), mb(metadata),
        mb(index_size));
    std::printf(
        "  .git/objects: %.3f MB before, %.3f MB after %d worktrees (grew %.3f MB, %zu "
        "paths new or changed): %s\n",
        mb(objects_before), mb(objects_after), measured, mb(objects_growth), objects_changed.size(),
        objects_changed.empty() ? "shared" : "NOT only shared");
    for (size_t i = 0; i < objects_changed.size() && i < 5; ++i) {
      std::printf("    %s\n", objects_changed[i].c_str());
    }
    std::printf("  .git: %.2f MB before, %.2f MB after\n", mb(git_before), mb(git_after));
  }

  // Forget them (not a target; agentd does it when a task ends), then remove their files.
  Phase removed = run_pool(
      "worktrees (remove_worktree)", count, threads, [](int) { return true; },
      [&](int t, int i) {
        if (!worktrees[i]) return true;
        base::Status status = per_thread[t]->remove_worktree(*worktrees[i], false);
        if (!status) {
          std::lock_guard<std::mutex> lock(print_mutex);
          std::fprintf(stderr, "worktrees: remove_worktree %d: %s\n", i,
                       status.error().message.c_str());
          return false;
        }
        return true;
      });
  print_phase(removed, count, threads);
  per_thread.clear();
  {
    std::error_code error;
    fs::remove_all(worktree_parent, error);
  }
  std::printf("\n");

  // ---- the same with git clone
  struct CloneRun {
    Phase phase;
    double disk_per_clone = 0;
    double git_dir_per_clone = 0;
    double shared_per_clone = 0;
  };
  auto clones = [&](const std::string& label,
                    const std::function<std::vector<std::string>(const fs::path&)>& command) {
    CloneRun result;
    const fs::path parent = root / "clones";
    std::error_code error;
    fs::create_directories(parent, error);
    result.phase = run_pool(
        label, count, threads, [](int) { return true; },
        [&](int, int i) { return run(command(parent / std::to_string(i))); });
    // A clone's own disk: inodes shared with the source (hardlinked objects) are not its.
    DiskWalker walker;
    (void)walker.walk(source);
    uint64_t disk = 0;
    uint64_t git_dir = 0;
    uint64_t shared = 0;
    for (int i = 0; i < count; ++i) {
      Usage usage = walker.walk(parent / std::to_string(i) / ".git");
      git_dir += usage.disk;
      shared += usage.skipped_disk;
      disk += usage.disk + walker.walk(parent / std::to_string(i)).disk;
    }
    result.disk_per_clone = static_cast<double>(disk) / count;
    result.git_dir_per_clone = static_cast<double>(git_dir) / count;
    result.shared_per_clone = static_cast<double>(shared) / count;
    print_phase(result.phase, count, threads);
    std::printf(
        "  disk per clone: %.2f MB (its .git %.2f MB; %.2f MB of objects hardlinked to "
        "the source, not counted)\n",
        mb(result.disk_per_clone), mb(result.git_dir_per_clone), mb(result.shared_per_clone));
    fs::remove_all(parent, error);
    return result;
  };
  CloneRun local = clones("git clone", [&](const fs::path& dir) {
    return std::vector<std::string>{"git",           "-c",        "gc.auto=0", "clone", "-q",
                                    source.string(), dir.string()};
  });
  std::optional<CloneRun> no_local;
  if (options.no_local_clones && !g_stop.load()) {
    no_local = clones("git clone --no-local", [&](const fs::path& dir) {
      return std::vector<std::string>{"git",        "clone",         "-q",
                                      "--no-local", source.string(), dir.string()};
    });
  }
  // The floor under any checkout: copying the same files (from the page cache) with cp.
  std::vector<std::string> top_entries;
  {
    std::error_code error;
    for (const fs::directory_entry& entry : fs::directory_iterator(source, error)) {
      if (entry.path().filename() != ".git") top_entries.push_back(entry.path().string());
    }
    std::sort(top_entries.begin(), top_entries.end());
  }
  std::optional<CloneRun> copies;
  if (!g_stop.load()) {
    copies = clones("cp -r of the files (floor)", [&](const fs::path& dir) {
      std::error_code error;
      fs::create_directory(dir, error);
      std::vector<std::string> argv = {"cp", "-r", "-t", dir.string()};
      argv.insert(argv.end(), top_entries.begin(), top_entries.end());
      return argv;
    });
  }

  // ---- figures and targets
  std::printf("\n");
  double ratio = added.wall_s > 0 ? local.phase.wall_s / added.wall_s : 0;
  std::printf("worktrees vs git clone: %.2fx faster (%.2f s vs %.2f s)\n", ratio, added.wall_s,
              local.phase.wall_s);
  if (no_local) {
    std::printf("worktrees vs git clone --no-local: %.2fx faster (%.2f s vs %.2f s)\n",
                no_local->phase.wall_s / added.wall_s, added.wall_s, no_local->phase.wall_s);
  }
  int failed = added.failed + wrong;
  bool complete = added.failed == 0 && measured == count;
  auto verdict = [&](bool met) { return met && complete ? "met" : "MISSED"; };
  std::printf("target worktree_latency: %.0f ms (goal 1000 ms): %s\n", added.max_ms(),
              verdict(added.max_ms() <= 1000));
  std::printf("target worktrees_%d: %.2f s (goal 8 s): %s\n", count, added.wall_s,
              verdict(added.wall_s <= 8));
  std::printf(
      "target worktree_disk: %.3f x (goal 1.0x): %s   [disk per worktree (its directory + its "
      "metadata in .git + .git/objects growth, st_blocks) / disk of its checked-out files and "
      "their directories (st_blocks)]\n",
      worktree_disk_ratio, verdict(worktree_disk_ratio <= 1.0 && objects_changed.empty()));
  std::printf("target worktrees_vs_clones: %.2f x (goal 5x): %s\n", ratio, verdict(ratio >= 5));
  if (copies) {
    std::printf("worktrees vs cp -r of the files: %.2fx the time (%.2f s vs %.2f s)\n",
                added.wall_s / copies->phase.wall_s, added.wall_s, copies->phase.wall_s);
  }
  if (local.phase.failed || (no_local && no_local->phase.failed)) ++failed;
  if (failed > 0 || removed.failed > 0 || g_stop.load()) {
    std::fprintf(stderr, "worktrees: %d failures%s\n", failed + removed.failed,
                 g_stop.load() ? " (interrupted)" : "");
    return 1;
  }
  return 0;
}

}  // namespace
