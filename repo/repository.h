// repo::Repository: a git repository the daemon reads and writes through libgit2, for tasks on
// repositories (issue 13). libgit2 runs nothing a repository configures: no hooks, no filter,
// smudge or clean commands, no fsmonitor, no core.*Command, no credential helpers. So opening,
// checking out, committing and diffing an untrusted repository runs none of its content on the
// host; only sandboxes run it (tests/repo/repository_test.cc plants each of those).
//
// Each agent gets a branch and a linked worktree: the worktree shares the repository's objects
// (disk: its checked-out files only), and its git metadata stays in the repository's own .git
// (worktrees/<name>/), which no sandbox sees. The worktree's own `.git` file is the agent's to
// change and is never read here: a worktree is always reached through the repository.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/expected.h"

struct git_repository;

namespace repo {

inline constexpr uint64_t kMaxCommittedFileBytes = 64 << 20;

struct Worktree {
  std::string name;           // unique in the repository (the agent's, e.g. "t-1f2e-coder-1")
  std::string branch;         // "agentd/<task>/<agent>"
  std::string base;           // the commit the branch started at (40 hex digits)
  std::filesystem::path dir;  // the checked-out files
};

struct Signature {
  std::string name;   // "coder-1 (agentd task t-1f2e)"
  std::string email;  // "coder-1@agentd.invalid"
};

struct Patch {
  std::string text;                // unified diff, `git apply` takes it (cut at the cap)
  bool truncated = false;          // the whole diff is longer than the cap; the branch holds it
  std::vector<std::string> files;  // every changed path (new path for renames)
};

class Repository {
 public:
  // The repository at `path` itself (a working tree's top or a bare repository), never one
  // found by searching the parents.
  static base::Expected<Repository> open(const std::filesystem::path& path);

  Repository(Repository&&) noexcept;
  Repository& operator=(Repository&&) noexcept;
  ~Repository();

  // The commit `ref` names ("HEAD", a branch, a tag, an id), as 40 hex digits.
  base::Expected<std::string> resolve(const std::string& ref) const;

  // A new branch `branch` at `commit`, checked out in a new worktree `name` at `dir` (which
  // must not exist), writable by every sandbox (git_internal.h: open_to_sandboxes). Fails if
  // the branch or the worktree name exists already.
  // With `place_files`, nothing is checked out: it is called once git has made `dir` (holding
  // only the worktree's `.git` file) and must make the commit's files appear there, `.git` kept
  // (an overlay of a shared checkout, repo/overlay.h); the index is then written from the
  // commit's tree.
  base::Expected<Worktree> add_worktree(
      const std::string& name, const std::string& branch, const std::string& commit,
      const std::filesystem::path& dir,
      const std::function<base::Status(const std::filesystem::path& dir)>& place_files = {});

  // Commits every change in the worktree's files (new, changed, removed; .gitignore'd files
  // left out) on its branch, by `author`. The new head, or the old one when nothing changed.
  // A new or changed file over kMaxCommittedFileBytes is left out (a sandbox can write a
  // terabyte of zeros in no time; the repository should not keep it), named in `too_large`.
  base::Expected<std::string> commit_all(const Worktree& worktree, const Signature& author,
                                         const std::string& message,
                                         std::vector<std::string>* too_large = nullptr);

  // `head` against `base` as a unified diff, at most `max_bytes` of it.
  base::Expected<Patch> diff(const std::string& base, const std::string& head,
                             size_t max_bytes) const;

  // The worktree's files as they are now (new files included, .gitignore'd ones not) against
  // the commit its branch started at: what its agent changed so far.
  base::Expected<Patch> diff_worktree(const Worktree& worktree, size_t max_bytes) const;

  // Forgets the worktree (its metadata in .git) and, unless `keep_branch`, deletes its branch.
  // Changes to worktree metadata take turns within a process (milliseconds each); checkouts and
  // commits run in parallel.
  // The files at worktree.dir are the caller's to remove (agents::tools::remove_tree: it
  // never follows a link a sandbox planted).
  base::Status remove_worktree(const Worktree& worktree, bool keep_branch);

  // libgit2's handle, for the repo module's own files (repo/git_internal.h); no other module
  // includes libgit2.
  git_repository* handle() const { return repository_.get(); }

 private:
  struct Free {
    void operator()(git_repository* repository) const;
  };
  explicit Repository(git_repository* repository) : repository_(repository) {}
  std::unique_ptr<git_repository, Free> repository_;
};

}  // namespace repo
