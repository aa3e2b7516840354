// An agent's workspace directory as the daemon's file tools see it (read_file, write_file,
// list_files). Every path is opened beneath the directory's fd with openat2 and never
// through a symlink, so whatever a sandbox planted in its workspace, these tools stay inside.
// The caller checks the policy's globs (ToolScope::check_read_file, ...) first; this layer is
// the OS-level guarantee. Both read a model's path through policies::WorkspacePath::parse, so
// what the globs allowed is what is opened; a caller that already holds a WorkspacePath passes
// it, and the path is not read twice.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/unique_fd.h"
#include "policies/workspace_path.h"

namespace agents::tools {

struct WorkspaceOptions {
  uint64_t max_read_bytes = 1 << 20;   // read_file returns at most this much, flagged
  uint64_t max_write_bytes = 8 << 20;  // write_file refuses more
  size_t max_list_entries = 10'000;
  unsigned max_list_depth = 32;
  // Owner of files and directories written here, so the sandbox (running as its own host
  // uid) can change them; nullopt keeps the daemon's.
  std::optional<uid_t> owner_uid;
  std::optional<gid_t> owner_gid;
};

struct FileContent {
  std::string data;
  uint64_t size = 0;       // of the whole file
  bool truncated = false;  // `data` is the first max_read_bytes only
};

struct DirEntry {
  enum class Kind { file, directory, symlink, other };
  std::string path;  // relative to the workspace root
  Kind kind = Kind::other;
  uint64_t size = 0;  // regular files only
};

struct Listing {
  std::vector<DirEntry> entries;  // sorted by path; symlinks are listed, never entered
  bool truncated = false;         // max_list_entries or max_list_depth reached
};

class Workspace {
 public:
  // `directory` is the operator's (trusted) path; everything below it is untrusted.
  static base::Expected<Workspace> open(const std::string& directory,
                                        WorkspaceOptions options = {});

  // A path WorkspacePath::parse refuses fails as the policy check refuses it, after the
  // tool's name: `read_file: path "../x" is outside the workspace; use a path relative to the
  // workspace root without ".."`. Other errors quote the normalised path that was opened:
  // `read_file: "src/missing.py": no such file or directory` (with the errno in sys_errno
  // where a call failed on the path).
  base::Expected<FileContent> read_file(std::string_view path) const;
  base::Expected<FileContent> read_file(const policies::WorkspacePath& path) const;
  // Atomic: a temporary file in the same directory, renamed over the target; parents are
  // created as needed. On failure nothing is left behind and the old file is untouched.
  base::Status write_file(std::string_view path, std::string_view content) const;
  base::Status write_file(const policies::WorkspacePath& path, std::string_view content) const;
  // Removes a regular file (never a directory or symlink); errors read as write_file's. For
  // apply_patch's deletions.
  base::Status remove_file(const policies::WorkspacePath& path) const;
  // Recursive listing of a directory ("" or "." for the whole workspace).
  base::Expected<Listing> list_files(std::string_view path = "") const;
  base::Expected<Listing> list_files(const policies::WorkspacePath& path) const;

 private:
  Workspace(base::UniqueFd root, WorkspaceOptions options)
      : root_(std::move(root)), options_(options) {}

  base::Expected<base::UniqueFd> make_parents(const policies::WorkspacePath& path) const;
  base::Status list_into(int dir_fd, const std::string& prefix, unsigned depth,
                         Listing& listing) const;
  base::Status give_to_owner(int fd) const;

  base::UniqueFd root_;  // O_PATH | O_DIRECTORY
  WorkspaceOptions options_;
};

}  // namespace agents::tools
