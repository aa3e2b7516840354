// bench/worktrees: worktrees made the way agentd makes them (agents::runtime::TaskRepository):
// one checkout of the base per task, and per agent an overlay of it, where mounting is allowed.
#pragma once

#include <string>

#include "bench/worktrees_common.h"
#include "bench/worktrees_repo.h"

namespace worktrees_bench {

// Why an overlay cannot be mounted under `root` (a probe mount), or "" when it can.
std::string overlay_refusal(const fs::path& root);

// TaskRepository::open on the source, then add_worktree for --agents agents from --threads
// threads, timed; then the checks (files, git status, isolation), the disk, and the end of the
// task: the TaskRepository destroyed (unmounting), no overlay left, its worktrees pruned.
WorktreeFigures run_agentd(const Options& options, const Source& source, const fs::path& root);

}  // namespace worktrees_bench
