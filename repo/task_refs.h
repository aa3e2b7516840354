// What a task leaves in a repository, found by name rather than by record: its worktrees'
// metadata (<commondir>/worktrees/<task>-*), its branches (agentd/<task>/*), and the lock files
// a daemon that died halfway through changing them left behind. Pruning a task forgets all of
// it (even what a crash kept out of the task's manifest); a task that starts again first frees
// its own stale locks. Nothing here touches another task's names or the user's branches.
#pragma once

#include <string>

#include "base/expected.h"
#include "repo/repository.h"

namespace repo {

// Removes the lock files of the worktrees whose names start with `worktree_prefix` and of the
// branches under `branch_prefix` ("agentd/<task>/"): only the daemon writes those, and it is
// not writing them now (the task is starting or being pruned).
base::Status release_stale_locks(Repository& repository, const std::string& worktree_prefix,
                                 const std::string& branch_prefix);

// Prunes every worktree whose name starts with `worktree_prefix` and deletes every branch under
// `branch_prefix` except `keep` (empty: none kept). Stale locks go first.
base::Status forget_task(Repository& repository, const std::string& worktree_prefix,
                         const std::string& branch_prefix, const std::string& keep);

}  // namespace repo
