#include "repo/task_refs.h"

#include <filesystem>
#include <system_error>
#include <vector>

#include "repo/git_internal.h"

namespace repo {

namespace fs = std::filesystem;
using namespace git_internal;  // NOLINT(google-build-using-namespace): the module's own

namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// "*.lock" files directly in `dir` or, with `recursive`, below it; never through a link.
void remove_locks(const fs::path& dir, bool recursive) {
  std::error_code error;
  auto remove_if_lock = [](const fs::directory_entry& entry) {
    std::error_code ignored;
    if (entry.is_regular_file(ignored) && !entry.is_symlink(ignored) &&
        entry.path().extension() == ".lock")
      fs::remove(entry.path(), ignored);
  };
  if (recursive) {
    for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end;
         it.increment(error))
      remove_if_lock(*it);
  } else {
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error))
      remove_if_lock(*it);
  }
}

std::vector<std::string> worktrees_named(git_repository* repository, const std::string& prefix) {
  git_strarray names{};
  std::vector<std::string> found;
  if (git_worktree_list(&names, repository) != 0) return found;
  for (size_t i = 0; i < names.count; ++i)
    if (starts_with(names.strings[i], prefix)) found.emplace_back(names.strings[i]);
  git_strarray_dispose(&names);
  return found;
}

std::vector<std::string> branches_under(git_repository* repository, const std::string& prefix) {
  std::vector<std::string> found;
  git_branch_iterator* iterator = nullptr;
  if (git_branch_iterator_new(&iterator, repository, GIT_BRANCH_LOCAL) != 0) return found;
  git_reference* ref = nullptr;
  git_branch_t type{};
  while (git_branch_next(&ref, &type, iterator) == 0) {
    const char* name = nullptr;
    if (git_branch_name(&name, ref) == 0 && starts_with(name, prefix)) found.emplace_back(name);
    git_reference_free(ref);
  }
  git_branch_iterator_free(iterator);
  return found;
}

}  // namespace

base::Status release_stale_locks(Repository& repository, const std::string& worktree_prefix,
                                 const std::string& branch_prefix) {
  if (worktree_prefix.empty() || branch_prefix.empty())
    return base::Error{"release_stale_locks: expected a task's own prefixes"};
  const fs::path common = git_repository_commondir(repository.handle());
  remove_locks(common / "refs/heads" / branch_prefix, /*recursive=*/true);
  std::error_code error;
  for (fs::directory_iterator it(common / "worktrees", error), end; !error && it != end;
       it.increment(error))
    if (starts_with(it->path().filename().string(), worktree_prefix))
      remove_locks(it->path(), /*recursive=*/false);
  return base::Ok{};
}

base::Status forget_task(Repository& repository, const std::string& worktree_prefix,
                         const std::string& branch_prefix, const std::string& keep) {
  if (auto released = release_stale_locks(repository, worktree_prefix, branch_prefix); !released)
    return released;
  base::Status status = base::Ok{};
  for (const std::string& name : worktrees_named(repository.handle(), worktree_prefix))
    if (auto removed = repository.remove_worktree({name, "", "", {}}, /*keep_branch=*/true);
        !removed && status)
      status = removed;
  for (const std::string& branch : branches_under(repository.handle(), branch_prefix)) {
    if (branch == keep) continue;
    std::lock_guard lock(metadata_changes());
    Reference ref;
    if (git_branch_lookup(ref.out(), repository.handle(), branch.c_str(), GIT_BRANCH_LOCAL) == 0 &&
        git_branch_delete(ref.get()) != 0 && status)
      status = git_failure("branch " + branch);
  }
  return status;
}

}  // namespace repo
