// bench/worktrees: what must hold of the worktrees a phase made, beside its speed. Each check
// prints what it found wrong to stderr and returns how many things were wrong (0: all held).
#pragma once

#include <string>
#include <vector>

#include "bench/worktrees_common.h"
#include "bench/worktrees_repo.h"

namespace worktrees_bench {

// Every generated file is there (count), and a few of them read back the source's bytes.
int check_files(const Source& source, const Options& options, const fs::path& dir);

// `git status --porcelain` (git's own reading of libgit2's index) in `checks` worktrees spread
// over `dirs`, timed. An index written from the tree has no stat data, so git re-reads every
// file once; a status that lists files whose content does not differ (`git diff --quiet HEAD`
// exits 0) is reported as stat-only and is not a failure; content that differs is.
int check_status(const std::vector<fs::path>& dirs, int checks);

// What one agent writes in its worktree (a changed file and a new one) shows neither in
// `other`'s nor in `base` (the shared checkout; empty: none). Leaves the change in `writer`.
int check_isolation(const Source& source, const fs::path& writer, const fs::path& other,
                    const fs::path& base);

bool same_bytes(const fs::path& a, const fs::path& b);

}  // namespace worktrees_bench
