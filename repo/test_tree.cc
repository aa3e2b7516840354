#include "repo/test_tree.h"

#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>

#include <algorithm>
#include <set>
#include <system_error>

#include "repo/git_internal.h"

namespace repo {

using namespace git_internal;  // NOLINT(google-build-using-namespace): the module's own

namespace {

namespace fs = std::filesystem;
using Odb = Owned<git_odb, git_odb_free>;
using IsProtected = std::function<bool(std::string_view)>;

// A handle of this call's own on the repository's objects: libgit2's handles are not to be
// shared between threads, trees for several candidates are made at once, and the blobs of the
// hidden tests go to an in-memory object store added to this handle alone, so nothing is
// written to the repository.
base::Status open_private(git_repository* shared, GitRepository& out) {
  const char* objects_of = git_repository_commondir(shared);
  if (git_repository_open_bare(out.out(), objects_of) != 0)
    return git_failure(std::string("repository ") + objects_of);
  Odb odb;
  git_odb_backend* memory = nullptr;
  if (git_repository_odb(odb.out(), out.get()) != 0 || git_mempack_new(&memory) != 0)
    return git_failure("object store");
  // Highest priority: writes go to the first backend that takes them.
  if (git_odb_add_backend(odb.get(), memory, 1000) != 0) {
    memory->free(memory);
    return git_failure("object store");
  }
  return base::Ok{};
}

// The files of `commit`'s tree, as an index that lives in memory only.
base::Status read_commit(git_repository* repository, const std::string& commit, Index& out) {
  Commit found;
  Tree tree;
  if (auto s = lookup_commit(repository, commit, found); !s) return s;
  if (git_commit_tree(tree.out(), found.get()) != 0 || git_index_new(out.out()) != 0 ||
      git_index_read_tree(out.get(), tree.get()) != 0)
    return git_failure("tree of " + commit);
  return base::Ok{};
}

bool same_entry(const git_index_entry* a, const git_index_entry* b) {
  return a != nullptr && b != nullptr && a->mode == b->mode && git_oid_equal(&a->id, &b->id);
}

std::vector<std::string> paths_of(git_index* index) {
  std::vector<std::string> paths;
  const size_t count = git_index_entrycount(index);
  paths.reserve(count);
  for (size_t i = 0; i < count; ++i) paths.emplace_back(git_index_get_byindex(index, i)->path);
  return paths;
}

// Puts every protected path of `tree` (a copy of `head`) back as `base` has it; adds the paths
// where head and base differ to `changed`.
base::Status restore_protected(git_index* tree, git_index* head, git_index* base,
                               const IsProtected& is_protected, std::set<std::string>& changed) {
  for (const std::string& path : paths_of(head)) {
    if (!is_protected(path)) continue;
    const git_index_entry* at_base = git_index_get_bypath(base, path.c_str(), 0);
    if (same_entry(git_index_get_bypath(head, path.c_str(), 0), at_base)) continue;
    changed.insert(path);
    // Removed first, so that an added protected file never stands in the way of the base's.
    if (at_base == nullptr && git_index_remove(tree, path.c_str(), 0) != 0)
      return git_failure("removing " + path);
  }
  const size_t count = git_index_entrycount(base);
  for (size_t i = 0; i < count; ++i) {
    const git_index_entry* at_base = git_index_get_byindex(base, i);
    if (!is_protected(at_base->path)) continue;
    const git_index_entry* at_head = git_index_get_bypath(head, at_base->path, 0);
    if (same_entry(at_head, at_base)) continue;  // still in the tree: nothing displaces it
    if (at_head == nullptr) changed.insert(at_base->path);
    // Replaces whatever the candidate has there, and any file or directory in its way.
    if (git_index_add(tree, at_base) != 0)
      return git_failure(std::string("restoring ") + at_base->path);
  }
  return base::Ok{};
}

// "", absolute, "." or ".." parts, NUL: not a path inside the tree.
bool is_plain_path(std::string_view path) {
  if (path.empty() || path.size() > 4096 || path.find('\0') != std::string_view::npos) return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

base::Status add_extra_files(git_repository* repository, git_index* tree,
                             const std::vector<std::pair<std::string, std::string>>& files) {
  size_t bytes = 0;
  for (const auto& [path, content] : files) {
    if (!is_plain_path(path))
      return base::Error{"hidden test path \"" + path +
                         "\": expected a relative path without \".\", \"..\" or empty parts"};
    bytes += content.size();
    if (bytes > kMaxExtraFileBytes)
      return base::Error{"hidden tests: more than " + std::to_string(kMaxExtraFileBytes >> 20) +
                         " MiB together"};
    git_index_entry entry{};
    entry.mode = GIT_FILEMODE_BLOB;
    entry.path = path.c_str();
    if (git_blob_create_from_buffer(&entry.id, repository, content.data(), content.size()) != 0 ||
        git_index_add(tree, &entry) != 0)
      return git_failure("hidden test " + path);
  }
  return base::Ok{};
}

// The candidate's files that a restored protected path pushed out of the tree.
void add_displaced(git_index* tree, git_index* head, const IsProtected& is_protected,
                   std::set<std::string>& changed) {
  for (const std::string& path : paths_of(head))
    if (!is_protected(path) && git_index_get_bypath(tree, path.c_str(), 0) == nullptr)
      changed.insert(path);
}

// Takes the submodules' entries (gitlinks) out of `tree`: libgit2 checks one out only into the
// repository's own working tree, and a submodule's files are not in this repository anyway.
std::vector<std::string> take_submodules(git_index* tree) {
  std::vector<std::string> paths;
  for (size_t i = 0; i < git_index_entrycount(tree); ++i) {
    const git_index_entry* entry = git_index_get_byindex(tree, i);
    if (entry->mode == GIT_FILEMODE_COMMIT) paths.emplace_back(entry->path);
  }
  for (const std::string& path : paths) git_index_remove(tree, path.c_str(), 0);
  return paths;
}

// An empty directory where each submodule goes, as git leaves an uninitialised one; never
// through a link (the index allowed none on the way, and no sandbox has seen the tree yet).
base::Status make_submodule_dirs(const fs::path& dir, const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    fs::path at = dir;
    std::error_code error;
    for (const fs::path& part : fs::path(path)) {
      at /= part;
      const fs::file_status status = fs::symlink_status(at, error);
      if (fs::is_directory(status)) continue;
      if (fs::exists(status) || !fs::create_directory(at, error)) break;
    }
    if (error) return base::Error{"submodule directory " + path + ": " + error.message()};
  }
  return base::Ok{};
}

// Writes `tree`'s files into `dir`: blobs as they are (no filter), links as links.
base::Status check_out(git_repository* repository, git_index* tree, const fs::path& dir) {
  const std::vector<std::string> submodules = take_submodules(tree);
  // The handle's own index becomes `tree`, so checkout neither reads nor updates the
  // repository's index file.
  if (git_repository_set_index(repository, tree) != 0) return git_failure("index");
  git_checkout_options options;
  git_checkout_options_init(&options, GIT_CHECKOUT_OPTIONS_VERSION);
  options.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
  options.disable_filters = 1;
  options.target_directory = dir.c_str();
  if (git_checkout_index(repository, tree, &options) != 0)
    return git_failure("checkout into " + dir.string());
  if (auto s = make_submodule_dirs(dir, submodules); !s) return s;
  return open_to_sandboxes(dir);
}

base::Expected<TestTree> build(git_repository* shared, const std::string& base,
                               const std::string& head, const IsProtected& is_protected,
                               const std::vector<std::pair<std::string, std::string>>& extra_files,
                               const fs::path& dir) {
  GitRepository repository;
  Index base_files, head_files, tree;
  if (auto s = open_private(shared, repository); !s) return s.error();
  if (auto s = read_commit(repository.get(), base, base_files); !s) return s.error();
  if (auto s = read_commit(repository.get(), head, head_files); !s) return s.error();
  if (auto s = read_commit(repository.get(), head, tree); !s) return s.error();
  std::set<std::string> changed;
  if (auto s =
          restore_protected(tree.get(), head_files.get(), base_files.get(), is_protected, changed);
      !s)
    return s.error();
  if (auto s = add_extra_files(repository.get(), tree.get(), extra_files); !s) return s.error();
  add_displaced(tree.get(), head_files.get(), is_protected, changed);
  if (auto s = check_out(repository.get(), tree.get(), dir); !s) return s.error();
  return TestTree{dir, {changed.begin(), changed.end()}};
}

}  // namespace

base::Expected<TestTree> make_test_tree(
    Repository& repository, const std::string& base, const std::string& head,
    const std::function<bool(std::string_view path)>& is_protected,
    const std::vector<std::pair<std::string, std::string>>& extra_files, const fs::path& dir) {
  init_libgit2();
  std::error_code error;
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), error);
  if (error || !fs::create_directory(dir, error))
    return base::Error{"test tree " + dir.string() + ": " +
                       (error ? error.message() : "exists already; expected a new directory")};
  auto made = build(repository.handle(), base, head, is_protected, extra_files, dir);
  if (!made) fs::remove_all(dir, error);  // never follows a link: removes the link itself
  return made;
}

}  // namespace repo
