#include "repo/git_internal.h"

namespace repo::git_internal {

// libgit2's global state, once per process (never shut down: other threads may use it).
void init_libgit2() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

// "what: libgit2's message".
base::Error git_failure(const std::string& what) {
  const ::git_error* error = git_error_last();
  return base::Error{what + ": " + (error && error->message ? error->message : "libgit2 failed")};
}

std::string hex(const git_oid& oid) {
  char text[GIT_OID_HEXSZ + 1];
  git_oid_tostr(text, sizeof text, &oid);
  return text;
}

base::Expected<git_oid> parse_oid(const std::string& text) {
  git_oid oid;
  if (text.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, text.c_str()) != 0)
    return base::Error{"commit \"" + text + "\": expected 40 hexadecimal digits"};
  return oid;
}

base::Status lookup_commit(git_repository* repository, const std::string& id, Commit& commit) {
  auto oid = parse_oid(id);
  if (!oid) return oid.error();
  if (git_commit_lookup(commit.out(), repository, &*oid) != 0) return git_failure("commit " + id);
  return base::Ok{};
}

// A worktree's name becomes a directory under .git/worktrees: one plain path component.
base::Status check_worktree_name(const std::string& name) {
  const bool plain = !name.empty() && name.size() <= 200 && name[0] != '.' &&
                     name.find_first_not_of(
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789._-") == std::string::npos;
  if (plain) return base::Ok{};
  return base::Error{
      "worktree name \"" + name +
      "\": expected 1 to 200 letters, digits, '.', '_' or '-', not starting with '.'"};
}

// Worktree additions and removals of this process, in turn (see add_worktree).
std::mutex& metadata_changes() {
  static std::mutex changes;
  return changes;
}

// The worktree as a repository: through the repository's own metadata for it
// (.git/worktrees/<name>), with the files' directory set here; never through the worktree's
// `.git` file, which its agent may have pointed anywhere (libgit2's
// git_repository_open_from_worktree follows it).
base::Status open_worktree(git_repository* repository, const Worktree& worktree,
                           GitRepository& out) {
  if (auto s = check_worktree_name(worktree.name); !s) return s;
  const std::string gitdir =
      std::string(git_repository_commondir(repository)) + "worktrees/" + worktree.name;
  if (git_repository_open_ext(out.out(), gitdir.c_str(),
                              GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_NO_DOTGIT,
                              nullptr) != 0 ||
      git_repository_set_workdir(out.get(), worktree.dir.c_str(), 0) != 0)
    return git_failure("worktree " + worktree.name);
  return base::Ok{};
}

}  // namespace repo::git_internal
