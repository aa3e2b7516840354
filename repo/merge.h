// Merging agents' branches (issue 13: fan_out and dag on a repository): the reduce step merges
// every worker's branch, one after another, onto a branch of its own checked out in a worktree
// of its own. Through libgit2 alone: no git command, and no merge driver a repository
// configures. libgit2 looks a `merge=NAME` attribute up in its own in-process registry (text,
// union, binary and whatever this process registered: nothing), and an unknown name falls
// back to its built-in text merge; it never reads merge.NAME.driver from a config, and it has
// no way to run a command. So a planted `[merge "evil"] driver = ...` runs nowhere
// (tests/repo/merge_test.cc plants one, and git itself runs it as the control).
//
// A clean merge becomes a merge commit (ours first, theirs second) on the worktree's branch,
// made in memory: the worktree's files are brought up to date only at a conflict and at the
// end. A conflicting merge stops there: the worktree then holds ours with theirs merged where
// it merged cleanly, and each conflicted file written for a merge agent to edit:
//   - both changed it (or both added it): the text with conflict markers
//       <<<<<<< ours
//       ...
//       =======
//       ...
//       >>>>>>> theirs: <branch>
//   - one side deleted it, the other changed it: the changed version, so that no one's work
//     disappears unseen (the agent deletes the file to accept the deletion);
//   - a binary file, a symbolic link, a submodule or a file over kMaxMergedFileBytes on either
//     side: ours, as it was (git would not merge those either).
// Renames are not followed: a file renamed on one side and changed on the other shows as a
// deletion against a change, which the merge agent sees and settles.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "repo/repository.h"

namespace repo {

// A branch to merge: its name (for messages and markers) and the commit it is at.
struct MergeSource {
  std::string branch;
  std::string head;
};

enum class ConflictKind {
  content,            // changed on both sides: markers
  added_by_both,      // added on both sides with different contents: markers
  deleted_by_ours,    // ours deleted it, theirs changed it: theirs is in the worktree
  deleted_by_theirs,  // theirs deleted it, ours changed it: ours is in the worktree
  unmergeable,        // binary, link, submodule or too large: ours is in the worktree
};
std::string_view to_string(ConflictKind kind);

struct ConflictedPath {
  std::string path;
  ConflictKind kind = ConflictKind::content;
};

// Files larger than this on either side of a conflict are not merged line by line.
inline constexpr size_t kMaxMergedFileBytes = 8 << 20;

// A merge that stopped: `branch` (at `theirs`) did not merge cleanly onto `ours`.
struct MergeConflict {
  std::string branch;
  std::string ours;                   // the worktree branch's head: everything merged before
  std::string theirs;                 // the branch's head
  std::vector<ConflictedPath> paths;  // sorted by path
};

struct MergeProgress {
  std::string head;                 // the worktree branch's head after the clean merges
  std::vector<std::string> merged;  // the branches merged (one already contained counts)
  // The branch that stopped the merge; the sources after it were not tried.
  std::optional<MergeConflict> conflict;
};

// Merges `sources` in the given order onto the worktree's branch, each a merge commit by
// `author`, until one conflicts.
base::Expected<MergeProgress> merge_branches(Repository& repository, const Worktree& worktree,
                                             const std::vector<MergeSource>& sources,
                                             const Signature& author);

// After a merge agent edited the worktree: the worktree's files as they are now (new, changed
// and removed files; .gitignore'd ones left out) become a merge commit of conflict.ours and
// conflict.theirs on the worktree's branch, unless a conflicted text file still holds a
// conflict marker line ("<<<<<<<" or ">>>>>>>"): then nothing is committed and `unresolved`
// names those files. Whatever the daemon committed on the branch since the conflict (the
// agent's own commit) is replaced by the merge commit.
struct MergeConclusion {
  std::string head;                     // the merge commit (empty when unresolved)
  std::vector<std::string> unresolved;  // conflicted files with markers left
};
base::Expected<MergeConclusion> conclude_merge(Repository& repository, const Worktree& worktree,
                                               const MergeConflict& conflict,
                                               const Signature& author, const std::string& message);

// Gives up a conflicted merge: the worktree's branch back at conflict.ours, and its files too
// (what the merge agent added is removed; .gitignore'd files stay).
base::Status abandon_merge(Repository& repository, const Worktree& worktree,
                           const MergeConflict& conflict);

}  // namespace repo
