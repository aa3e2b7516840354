// A workspace directory the daemon made and owns: destroying the owner removes it with
// everything sandboxes left in it. The removal walks the tree by directory fd (openat with
// O_NOFOLLOW, unlinkat) and never follows a symlink, so a link a sandbox planted to /etc is
// removed, not what it points at; it holds one fd at a time and no recursion, so however deep
// a sandbox nested its directories, removing them cannot exhaust fds or the stack. Files go
// in through Workspace (openat2 beneath the directory), the same guards the file tools use.
#pragma once

#include <sys/types.h>

#include <filesystem>

#include "base/expected.h"

namespace agents::tools {

class WorkspaceDir {
 public:
  // Makes the directory `path` (its parent must exist and be the daemon's) with exactly
  // `mode`, whatever the umask. Fails if anything is at `path` already (sys_errno EEXIST):
  // what this owner would remove is only ever what it made.
  static base::Expected<WorkspaceDir> make(std::filesystem::path path, mode_t mode);

  WorkspaceDir(WorkspaceDir&& other) noexcept;
  WorkspaceDir& operator=(WorkspaceDir&& other) noexcept;
  WorkspaceDir(const WorkspaceDir&) = delete;
  WorkspaceDir& operator=(const WorkspaceDir&) = delete;
  // Removes the tree (remove_tree); a failure is logged, as a destructor cannot return it.
  // Blocking file work: destroy it where blocking is allowed, not on the event loop.
  ~WorkspaceDir();

  const std::filesystem::path& path() const { return path_; }
  // Keeps the directory: this owner no longer removes it (a task's agent workspaces outlive
  // the task, until the daemon prunes the task). Returns its path.
  std::filesystem::path release();

 private:
  explicit WorkspaceDir(std::filesystem::path path) : path_(std::move(path)) {}

  std::filesystem::path path_;  // empty: nothing owned
};

// Removes `path` and everything below it; a symlink anywhere is removed, never followed.
// `path`'s parent is the caller's (trusted); nothing below it is. Missing is not an error.
base::Status remove_tree(const std::filesystem::path& path);

}  // namespace agents::tools
