// bench/worktrees: disk counted like du (st_blocks * 512, each inode once, links not followed).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace worktrees_bench {

struct Usage {
  uint64_t disk = 0;           // st_blocks * 512 of every inode not seen before
  uint64_t file_disk = 0;      // of regular files only (the checked-out files)
  uint64_t file_apparent = 0;  // st_size of regular files
  uint64_t dir_disk = 0;       // of directories (the top one included)
  uint64_t files = 0;          // regular files counted
  uint64_t shared = 0;         // inodes skipped: counted before (hardlinks)
  uint64_t skipped_disk = 0;   // st_blocks * 512 of those

  Usage& operator+=(const Usage& other);
};

// Walks trees without following links. An inode is counted once however many links or walks
// reach it, until forget(): a clone's objects hardlinked to the source are the source's.
class DiskWalker {
 public:
  // `exclude_top_entry`: a name directly under `top` whose blocks go to `disk` but not to the
  // file figures (a worktree's `.git` file, which is not a checked-out file).
  Usage walk(const std::filesystem::path& top, const std::string& exclude_top_entry = "");
  void forget() { seen_.clear(); }

 private:
  void visit(const std::filesystem::path& path, Usage& usage, bool is_top);

  std::set<std::pair<dev_t, ino_t>> seen_;
  std::filesystem::path top_;
  std::string exclude_;
};

uint64_t du(const std::filesystem::path& path);

// Every path under `top` with its inode and size, to tell whether .git/objects changed.
using Snapshot = std::map<std::string, std::pair<ino_t, off_t>>;
Snapshot snapshot(const std::filesystem::path& top);
// "new PATH" / "changed PATH" for each difference from `before` to `after` (removals ignored).
std::vector<std::string> changes(const Snapshot& before, const Snapshot& after);

}  // namespace worktrees_bench
