// What the repo module's files share about libgit2 (repository.cc, bundle.cc, test_tree.cc,
// merge.cc): owning handles, errors worded with libgit2's message, object ids as text. Only
// repo/ includes it: libgit2 stays out of every other module.
#pragma once

#include <git2.h>

#include <filesystem>
#include <mutex>
#include <string>

#include "base/expected.h"
#include "repo/repository.h"

namespace repo::git_internal {

// libgit2's global state, once per process (never shut down: other threads may use it).
void init_libgit2();

// "what: libgit2's message".
base::Error git_failure(const std::string& what);

template <class T, void (*Free)(T*)>
struct Owned {
  T* ptr = nullptr;
  Owned() = default;
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  ~Owned() {
    if (ptr) Free(ptr);
  }
  T** out() { return &ptr; }
  T* get() const { return ptr; }
};
using Object = Owned<git_object, git_object_free>;
using Commit = Owned<git_commit, git_commit_free>;
using Tree = Owned<git_tree, git_tree_free>;
using Reference = Owned<git_reference, git_reference_free>;
using GitWorktree = Owned<git_worktree, git_worktree_free>;
using GitRepository = Owned<git_repository, git_repository_free>;
using Index = Owned<git_index, git_index_free>;
using GitSignature = Owned<git_signature, git_signature_free>;
using Diff = Owned<git_diff, git_diff_free>;

std::string hex(const git_oid& oid);
base::Expected<git_oid> parse_oid(const std::string& text);
base::Status lookup_commit(git_repository* repository, const std::string& id, Commit& commit);

// A worktree's name becomes a directory under .git/worktrees: one plain path component.
base::Status check_worktree_name(const std::string& name);

// Worktree additions and removals (and other changes of refs and metadata) of this process,
// in turn (see Repository::add_worktree).
std::mutex& metadata_changes();

// The worktree as a repository: through the repository's own metadata for it
// (.git/worktrees/<name>), with the files' directory set here; never through the worktree's
// `.git` file, which its agent may have pointed anywhere (libgit2's
// git_repository_open_from_worktree follows it).
base::Status open_worktree(git_repository* repository, const Worktree& worktree,
                           GitRepository& out);

// Makes a tree the daemon just checked out (no sandbox has seen it yet) writable by every
// sandbox: each runs as its own host uid. Directories 0777, files 0666 (0777 where git marks
// them executable); symbolic links are left alone and never followed.
base::Status open_to_sandboxes(const std::filesystem::path& dir);

}  // namespace repo::git_internal
