#include "bench/worktrees_disk.h"

#include <sys/stat.h>

#include <system_error>

namespace worktrees_bench {

namespace fs = std::filesystem;

Usage& Usage::operator+=(const Usage& other) {
  disk += other.disk;
  file_disk += other.file_disk;
  file_apparent += other.file_apparent;
  dir_disk += other.dir_disk;
  files += other.files;
  shared += other.shared;
  skipped_disk += other.skipped_disk;
  return *this;
}

Usage DiskWalker::walk(const fs::path& top, const std::string& exclude_top_entry) {
  Usage usage;
  top_ = top;
  exclude_ = exclude_top_entry;
  visit(top, usage, true);
  return usage;
}

void DiskWalker::visit(const fs::path& path, Usage& usage, bool is_top) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  const uint64_t blocks = static_cast<uint64_t>(st.st_blocks) * 512;
  if (!seen_.insert({st.st_dev, st.st_ino}).second) {
    ++usage.shared;
    usage.skipped_disk += blocks;
    return;
  }
  usage.disk += blocks;
  if (S_ISREG(st.st_mode)) {
    const bool excluded =
        !is_top && !exclude_.empty() && path.filename() == exclude_ && path.parent_path() == top_;
    if (!excluded) {
      usage.file_disk += blocks;
      usage.file_apparent += static_cast<uint64_t>(st.st_size);
      ++usage.files;
    }
  } else if (S_ISDIR(st.st_mode)) {
    usage.dir_disk += blocks;
    std::error_code error;
    for (const fs::directory_entry& entry : fs::directory_iterator(path, error))
      visit(entry.path(), usage, false);
  }
}

uint64_t du(const fs::path& path) {
  DiskWalker walker;
  return walker.walk(path).disk;
}

Snapshot snapshot(const fs::path& top) {
  Snapshot entries;
  std::error_code error;
  for (fs::recursive_directory_iterator it(top, error), end; !error && it != end;
       it.increment(error)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0)
      entries[it->path().lexically_relative(top).string()] = {st.st_ino, st.st_size};
  }
  return entries;
}

std::vector<std::string> changes(const Snapshot& before, const Snapshot& after) {
  std::vector<std::string> changed;
  for (const auto& [path, entry] : after) {
    auto it = before.find(path);
    if (it == before.end())
      changed.push_back("new " + path);
    else if (it->second != entry)
      changed.push_back("changed " + path);
  }
  return changed;
}

}  // namespace worktrees_bench
