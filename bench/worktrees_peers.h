// bench/worktrees: what agentd's worktrees are compared with in the same run: full libgit2
// checkouts (repo::Repository::add_worktree, agentd's way where it cannot mount), `git clone`,
// `git clone --no-local` and `cp -r` of the files.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "bench/worktrees_common.h"
#include "bench/worktrees_repo.h"

namespace worktrees_bench {

// --agents worktrees, each its own full checkout, from --threads threads, each thread with its
// own repo::Repository (libgit2 repository objects are not shared across threads); then removed.
WorktreeFigures run_checkouts(const Options& options, const Source& source, const fs::path& root);

struct CloneFigures {
  Phase phase;
  double disk_per_clone = 0;
  double git_dir_per_clone = 0;
  double shared_per_clone = 0;  // objects hardlinked to the source: not the clone's
};

// --agents copies made by `command(dir)` from --threads threads, their disk, then removed.
CloneFigures run_clones(const Options& options, const Source& source, const fs::path& root,
                        const std::string& label,
                        const std::function<std::vector<std::string>(const fs::path&)>& command);

}  // namespace worktrees_bench
