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

base::Status open_to_sandboxes(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::permissions(dir, fs::perms::all, error);
  for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    const fs::file_status status = it->symlink_status(error);
    if (error) break;
    if (fs::is_symlink(status)) continue;
    fs::perms mode = fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                     fs::perms::group_write | fs::perms::others_read | fs::perms::others_write;
    if (fs::is_directory(status) ||
        (status.permissions() & fs::perms::owner_exec) != fs::perms::none)
      mode |= fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec;
    fs::permissions(it->path(), mode, error);
  }
  if (error) return base::Error{"opening " + dir.string() + " to sandboxes: " + error.message()};
  return base::Ok{};
}

}  // namespace repo::git_internal
