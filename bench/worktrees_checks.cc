#include "bench/worktrees_checks.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

#include "bench/worktrees_disk.h"

namespace worktrees_bench {

namespace {

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

size_t lines(const std::string& text) {
  size_t count = 0;
  for (char c : text) count += c == '\n' ? 1 : 0;
  return count;
}

}  // namespace

bool same_bytes(const fs::path& a, const fs::path& b) {
  std::error_code error;
  return fs::is_regular_file(a, error) && fs::is_regular_file(b, error) &&
         read_bytes(a) == read_bytes(b);
}

int check_files(const Source& source, const Options& options, const fs::path& dir) {
  int wrong = 0;
  DiskWalker walker;
  const Usage usage = walker.walk(dir, ".git");
  if (usage.files != source.files) {
    std::fprintf(stderr, "worktrees: %s shows %llu files, not %llu\n", dir.c_str(),
                 static_cast<unsigned long long>(usage.files),
                 static_cast<unsigned long long>(source.files));
    ++wrong;
  }
  // The first, a middle and the last file: read through the worktree (the merged directory of
  // an overlay), byte for byte.
  for (const std::string& name : {file_name(0, 0), file_name(options.dirs / 2, options.files / 2),
                                  file_name(options.dirs - 1, options.files - 1)}) {
    if (!same_bytes(dir / name, source.path / name)) {
      std::fprintf(stderr, "worktrees: %s/%s differs from the source\n", dir.c_str(), name.c_str());
      ++wrong;
    }
  }
  return wrong;
}

int check_status(const std::vector<fs::path>& dirs, int checks) {
  int wrong = 0;
  const int n = static_cast<int>(dirs.size());
  checks = std::min(checks, n);
  for (int c = 0; c < checks; ++c) {
    const fs::path& dir = dirs[checks > 1 ? c * (n - 1) / (checks - 1) : 0];
    std::string first, second;
    const Clock::time_point start = Clock::now();
    const bool ran = run(git(dir, {"status", "--porcelain"}), &first);
    const double first_s = seconds_since(start);
    const Clock::time_point again = Clock::now();
    run(git(dir, {"status", "--porcelain"}), &second);
    const double second_s = seconds_since(again);
    std::string verdict = "clean";
    if (!ran) {
      verdict = "FAILED to run";
      ++wrong;
    } else if (!first.empty()) {
      // Listed, but is the content different, or only the stat data git compared first?
      const bool content_same = run(git(dir, {"diff", "--quiet", "HEAD"}));
      verdict = std::to_string(lines(first)) + " paths listed; content " +
                (content_same ? "the same (stat data only: racy index, not a failure)" : "DIFFERS");
      if (!content_same) {
        std::fprintf(stderr, "worktrees: `git status` in %s:\n%s\n", dir.c_str(),
                     first.substr(0, 2000).c_str());
        ++wrong;
      }
    }
    std::printf("  git status --porcelain in %s: %s (%.2f s; again: %.2f s, %zu lines)\n",
                dir.filename().c_str(), verdict.c_str(), first_s, second_s, lines(second));
  }
  return wrong;
}

int check_isolation(const Source& source, const fs::path& writer, const fs::path& other,
                    const fs::path& base) {
  const std::string changed = file_name(0, 0), added = "bench-agent-wrote-this.txt";
  {
    std::ofstream append(writer / changed, std::ios::app | std::ios::binary);
    append << "a line the agent added\n";
    std::ofstream create(writer / added, std::ios::binary);
    create << "new\n";
    if (!append || !create) {
      std::fprintf(stderr, "worktrees: cannot write in %s\n", writer.c_str());
      return 1;
    }
  }
  int wrong = 0;
  std::error_code error;
  if (same_bytes(writer / changed, source.path / changed)) {
    std::fprintf(stderr, "worktrees: the change to %s/%s did not stick\n", writer.c_str(),
                 changed.c_str());
    ++wrong;
  }
  for (const fs::path& dir : {other, base}) {
    if (dir.empty()) continue;
    if (!same_bytes(dir / changed, source.path / changed) || fs::exists(dir / added, error)) {
      std::fprintf(stderr, "worktrees: what %s wrote shows in %s\n", writer.c_str(), dir.c_str());
      ++wrong;
    }
  }
  std::printf("  isolation: a file changed and one added in %s: %s in %s%s\n",
              writer.filename().c_str(), wrong == 0 ? "not seen" : "SEEN", other.filename().c_str(),
              base.empty() ? "" : " nor in the shared checkout");
  return wrong;
}

}  // namespace worktrees_bench
