// bench/worktrees: the generated repository every phase starts from, and the directory that
// holds everything a run makes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "bench/worktrees_common.h"

namespace worktrees_bench {

// The directory every file of this run lives under; removed when it goes out of scope.
class TempRoot {
 public:
  explicit TempRoot(const fs::path& parent);
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;
  ~TempRoot();
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Source {
  fs::path path;     // a working tree with its .git
  std::string head;  // its one commit
  uint64_t files = 0;
  uint64_t bytes = 0;  // of the generated files
};

// "d007/f042.txt": the generated file `file` of directory `dir`.
std::string file_name(int dir, int file);

// Writes dirs x files text files under root/source (fixed seed: the same on every machine),
// commits them with the git CLI and repacks (a repository agentd works on came from a clone:
// its objects are in a pack). Not measured; prints what it took.
std::optional<Source> make_source(const Options& options, const fs::path& root);

}  // namespace worktrees_bench
