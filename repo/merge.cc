#include "repo/merge.h"

#include <git2.h>
#include <sys/stat.h>

#include <algorithm>
#include <mutex>

#include "repo/git_internal.h"

namespace repo {

using namespace git_internal;  // NOLINT(google-build-using-namespace): the module's own

std::string_view to_string(ConflictKind kind) {
  switch (kind) {
    case ConflictKind::content:
      return "content";
    case ConflictKind::added_by_both:
      return "added_by_both";
    case ConflictKind::deleted_by_ours:
      return "deleted_by_ours";
    case ConflictKind::deleted_by_theirs:
      return "deleted_by_theirs";
    case ConflictKind::unmergeable:
      return "unmergeable";
  }
  return "content";
}

namespace {

using Blob = Owned<git_blob, git_blob_free>;
using ConflictIterator = Owned<git_index_conflict_iterator, git_index_conflict_iterator_free>;
using TreeEntry = Owned<git_tree_entry, git_tree_entry_free>;

std::string branch_ref(const Worktree& worktree) {
  return "refs/heads/" + worktree.branch;
}

base::Expected<std::string> branch_head(git_repository* repository, const Worktree& worktree) {
  git_oid id;
  if (git_reference_name_to_id(&id, repository, branch_ref(worktree).c_str()) != 0)
    return git_failure("branch " + worktree.branch);
  return hex(id);
}

// Moves the worktree's branch to `commit` (whatever it was at: a merge agent's own commit is
// replaced by the merge that concludes it).
base::Status set_branch(git_repository* repository, const Worktree& worktree, const git_oid& commit,
                        const std::string& why) {
  std::lock_guard lock(metadata_changes());
  Reference ref;
  if (git_reference_create(ref.out(), repository, branch_ref(worktree).c_str(), &commit, 1,
                           why.c_str()) != 0)
    return git_failure("branch " + worktree.branch);
  return base::Ok{};
}

base::Expected<std::string> commit_merge(git_repository* repository, const Worktree& worktree,
                                         const git_oid& tree_id, const git_commit* ours,
                                         const git_commit* theirs, const Signature& author,
                                         const std::string& message) {
  Tree tree;
  GitSignature signature;
  if (git_tree_lookup(tree.out(), repository, &tree_id) != 0) return git_failure("merged tree");
  if (git_signature_now(signature.out(), author.name.c_str(), author.email.c_str()) != 0)
    return git_failure("author");
  const git_commit* parents[] = {ours, theirs};
  git_oid id;
  if (git_commit_create(&id, repository, nullptr, signature.get(), signature.get(), nullptr,
                        message.c_str(), tree.get(), 2, parents) != 0)
    return git_failure("merge commit");
  if (auto s = set_branch(repository, worktree, id, message); !s) return s.error();
  return hex(id);
}

// Removes every symbolic link under `dir` (never following one). libgit2's checkout writes
// through a link that stands where the tree has a directory (MergeTest.Abandoning... saw it
// write src/add.py into the directory a planted `src` link named): a merge agent's sandbox may
// have planted one anywhere, and the daemon's checkout must not write outside the worktree.
// The checkout that follows puts back the tree's own links.
base::Status remove_links(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::vector<fs::path> links;
  std::error_code error;
  for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error))
    if (it->is_symlink(error)) links.push_back(it->path());
  for (const fs::path& link : links)
    if (!error) fs::remove(link, error);
  if (error) return base::Error{"removing links under " + dir.string() + ": " + error.message()};
  return base::Ok{};
}

// The worktree's files (and index) made those of `tree_id`; `extra` adds checkout strategy
// flags (GIT_CHECKOUT_REMOVE_UNTRACKED). Then open to the sandboxes, as add_worktree leaves it.
base::Status check_out(git_repository* repository, const Worktree& worktree, const git_oid& tree_id,
                       unsigned extra = 0) {
  if (auto s = remove_links(worktree.dir); !s) return s;
  Tree tree;
  git_checkout_options options;
  git_checkout_options_init(&options, GIT_CHECKOUT_OPTIONS_VERSION);
  options.checkout_strategy = GIT_CHECKOUT_FORCE | extra;
  if (git_tree_lookup(tree.out(), repository, &tree_id) != 0 ||
      git_checkout_tree(repository, reinterpret_cast<const git_object*>(tree.get()), &options) != 0)
    return git_failure("worktree " + worktree.name + ": checkout");
  return open_to_sandboxes(worktree.dir);
}

base::Status check_out_commit(git_repository* repository, const Worktree& worktree,
                              const std::string& commit_id, unsigned extra = 0) {
  Commit commit;
  if (auto s = lookup_commit(repository, commit_id, commit); !s) return s;
  return check_out(repository, worktree, *git_commit_tree_id(commit.get()), extra);
}

// One conflict of the merge index, copied out (removing it frees the index's entries).
struct Conflict {
  std::string path;
  std::optional<git_index_entry> ancestor, ours, theirs;  // entry.path set to `path` on use
};

std::vector<Conflict> conflicts_of(git_index* index) {
  std::vector<Conflict> found;
  ConflictIterator it;
  if (git_index_conflict_iterator_new(it.out(), index) != 0) return found;
  const git_index_entry *ancestor = nullptr, *ours = nullptr, *theirs = nullptr;
  while (git_index_conflict_next(&ancestor, &ours, &theirs, it.get()) == 0) {
    Conflict conflict;
    const git_index_entry* any = ours ? ours : theirs ? theirs : ancestor;
    conflict.path = any->path;
    if (ancestor) conflict.ancestor = *ancestor;
    if (ours) conflict.ours = *ours;
    if (theirs) conflict.theirs = *theirs;
    found.push_back(std::move(conflict));
  }
  return found;
}

// A side that is not merged line by line: a link, a submodule, binary or too large.
bool unmergeable(git_repository* repository, const git_index_entry& entry) {
  if (entry.mode == GIT_FILEMODE_LINK || entry.mode == GIT_FILEMODE_COMMIT) return true;
  Blob blob;
  if (git_blob_lookup(blob.out(), repository, &entry.id) != 0) return true;
  return git_blob_rawsize(blob.get()) > static_cast<git_object_size_t>(kMaxMergedFileBytes) ||
         git_blob_is_binary(blob.get());
}

// The entry the worktree gets for `conflict` (what merge.h promises for each kind).
struct Settled {
  ConflictKind kind = ConflictKind::content;
  git_oid id{};
  uint32_t mode = GIT_FILEMODE_BLOB;
};

base::Expected<Settled> settle(git_repository* repository, Conflict& conflict,
                               const std::string& their_label) {
  for (auto* side : {&conflict.ancestor, &conflict.ours, &conflict.theirs})
    if (*side) (*side)->path = conflict.path.c_str();
  if (!conflict.ours)
    return Settled{ConflictKind::deleted_by_ours, conflict.theirs->id, conflict.theirs->mode};
  if (!conflict.theirs)
    return Settled{ConflictKind::deleted_by_theirs, conflict.ours->id, conflict.ours->mode};
  if (unmergeable(repository, *conflict.ours) || unmergeable(repository, *conflict.theirs))
    return Settled{ConflictKind::unmergeable, conflict.ours->id, conflict.ours->mode};
  git_merge_file_options options;
  git_merge_file_options_init(&options, GIT_MERGE_FILE_OPTIONS_VERSION);
  options.our_label = "ours";
  options.their_label = their_label.c_str();
  options.flags = GIT_MERGE_FILE_STYLE_MERGE;
  git_merge_file_result merged{};
  if (git_merge_file_from_index(&merged, repository,
                                conflict.ancestor ? &*conflict.ancestor : nullptr, &*conflict.ours,
                                &*conflict.theirs, &options) != 0)
    return git_failure("merging " + conflict.path);
  Settled settled{conflict.ancestor ? ConflictKind::content : ConflictKind::added_by_both,
                  {},
                  merged.mode ? merged.mode : conflict.ours->mode};
  const int written = git_blob_create_from_buffer(&settled.id, repository, merged.ptr, merged.len);
  git_merge_file_result_free(&merged);
  if (written != 0) return git_failure("merging " + conflict.path);
  return settled;
}

// The conflicted merge index with each conflict settled, checked out into the worktree.
base::Expected<std::vector<ConflictedPath>> write_conflict(git_repository* repository,
                                                           const Worktree& worktree,
                                                           git_index* index,
                                                           const std::string& branch) {
  std::vector<ConflictedPath> paths;
  const std::string their_label = "theirs: " + branch;
  for (Conflict& conflict : conflicts_of(index)) {
    auto settled = settle(repository, conflict, their_label);
    if (!settled) return settled.error();
    git_index_entry entry{};
    entry.path = conflict.path.c_str();
    entry.mode = settled->mode;
    entry.id = settled->id;
    if (git_index_conflict_remove(index, conflict.path.c_str()) != 0 ||
        git_index_add(index, &entry) != 0)
      return git_failure("merging " + conflict.path);
    paths.push_back({conflict.path, settled->kind});
  }
  std::sort(paths.begin(), paths.end(),
            [](const ConflictedPath& a, const ConflictedPath& b) { return a.path < b.path; });
  git_oid tree_id;
  if (git_index_write_tree_to(&tree_id, index, repository) != 0)
    return git_failure("conflicted tree");
  if (auto s = check_out(repository, worktree, tree_id); !s) return s.error();
  return paths;
}

struct Step {
  std::string head;
  std::optional<MergeConflict> conflict;
};

base::Expected<Step> merge_one(git_repository* repository, const Worktree& worktree,
                               const std::string& head, const MergeSource& source,
                               const Signature& author) {
  Commit ours, theirs;
  if (auto s = lookup_commit(repository, head, ours); !s) return s.error();
  if (auto s = lookup_commit(repository, source.head, theirs); !s)
    return base::Error{"branch " + source.branch + ": " + s.error().message};
  git_oid base;
  const int found =
      git_merge_base(&base, repository, git_commit_id(ours.get()), git_commit_id(theirs.get()));
  if (found != 0 && found != GIT_ENOTFOUND) return git_failure("merge base of " + source.branch);
  if (found == 0 && git_oid_equal(&base, git_commit_id(theirs.get())))
    return Step{head, std::nullopt};  // contained already: nothing to merge
  git_merge_options options;
  git_merge_options_init(&options, GIT_MERGE_OPTIONS_VERSION);
  options.flags = 0;  // no rename detection: every conflict is one path (merge.h)
  Index index;
  if (git_merge_commits(index.out(), repository, ours.get(), theirs.get(), &options) != 0)
    return git_failure("merging " + source.branch);
  if (git_index_has_conflicts(index.get())) {
    auto paths = write_conflict(repository, worktree, index.get(), source.branch);
    if (!paths) return paths.error();
    return Step{head, MergeConflict{source.branch, head, source.head, std::move(*paths)}};
  }
  git_oid tree_id;
  if (git_index_write_tree_to(&tree_id, index.get(), repository) != 0)
    return git_failure("merged tree of " + source.branch);
  auto merged = commit_merge(repository, worktree, tree_id, ours.get(), theirs.get(), author,
                             "Merge " + source.branch);
  if (!merged) return merged.error();
  return Step{std::move(*merged), std::nullopt};
}

// A line that git would write as a conflict marker: seven '<' or '>' and a space or its end.
bool has_marker_line(std::string_view text) {
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    for (std::string_view marker : {"<<<<<<<", ">>>>>>>"})
      if (line.starts_with(marker) &&
          (line.size() == 7 || line[7] == ' ' || line[7] == '\r' || line[7] == '\t'))
        return true;
    start = end + 1;
  }
  return false;
}

bool still_marked(git_repository* repository, git_tree* tree, const ConflictedPath& path) {
  if (path.kind != ConflictKind::content && path.kind != ConflictKind::added_by_both) return false;
  TreeEntry entry;
  if (git_tree_entry_bypath(entry.out(), tree, path.path.c_str()) != 0) return false;  // removed
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB) return false;
  Blob blob;
  if (git_blob_lookup(blob.out(), repository, git_tree_entry_id(entry.get())) != 0) return false;
  if (git_blob_is_binary(blob.get())) return false;
  const auto* bytes = static_cast<const char*>(git_blob_rawcontent(blob.get()));
  return has_marker_line({bytes, static_cast<size_t>(git_blob_rawsize(blob.get()))});
}

// git_index_add_all's say on each path (1: skip it): a file over kMaxCommittedFileBytes stays
// out of the merge, as out of an agent's commit (a sandbox writes a huge sparse file in no time).
int skip_large(const char* path, const char* /*matched*/, void* payload) {
  const auto& workdir = *static_cast<const std::filesystem::path*>(payload);
  struct stat st {};
  if (::lstat((workdir / path).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  return static_cast<uint64_t>(st.st_size) > kMaxCommittedFileBytes ? 1 : 0;
}

// The tree of the worktree's files as they are now (commit_all's way: .gitignore'd files out).
base::Expected<git_oid> tree_of_files(git_repository* repository, const Worktree& worktree) {
  Index index;
  char* everything[] = {const_cast<char*>("*")};
  const git_strarray all = {everything, 1};
  std::filesystem::path workdir = worktree.dir;
  git_oid tree_id;
  if (git_repository_index(index.out(), repository) != 0 ||
      git_index_add_all(index.get(), &all, GIT_INDEX_ADD_DEFAULT, skip_large, &workdir) != 0 ||
      git_index_update_all(index.get(), &all, skip_large, &workdir) != 0 ||
      git_index_write(index.get()) != 0 || git_index_write_tree(&tree_id, index.get()) != 0)
    return git_failure("worktree " + worktree.name + ": index");
  return tree_id;
}

}  // namespace

base::Expected<MergeProgress> merge_branches(Repository& repository, const Worktree& worktree,
                                             const std::vector<MergeSource>& sources,
                                             const Signature& author) {
  GitRepository tree_repository;
  if (auto s = open_worktree(repository.handle(), worktree, tree_repository); !s) return s.error();
  auto head = branch_head(tree_repository.get(), worktree);
  if (!head) return head.error();
  MergeProgress progress;
  progress.head = std::move(*head);
  for (const MergeSource& source : sources) {
    auto step = merge_one(tree_repository.get(), worktree, progress.head, source, author);
    if (!step) return step.error();
    if (step->conflict) {
      progress.conflict = std::move(step->conflict);
      return progress;
    }
    progress.head = std::move(step->head);
    progress.merged.push_back(source.branch);
  }
  if (auto s = check_out_commit(tree_repository.get(), worktree, progress.head); !s)
    return s.error();
  return progress;
}

base::Expected<MergeConclusion> conclude_merge(Repository& repository, const Worktree& worktree,
                                               const MergeConflict& conflict,
                                               const Signature& author,
                                               const std::string& message) {
  GitRepository tree_repository;
  if (auto s = open_worktree(repository.handle(), worktree, tree_repository); !s) return s.error();
  auto tree_id = tree_of_files(tree_repository.get(), worktree);
  if (!tree_id) return tree_id.error();
  Tree tree;
  if (git_tree_lookup(tree.out(), tree_repository.get(), &*tree_id) != 0)
    return git_failure("worktree " + worktree.name + ": tree");
  MergeConclusion conclusion;
  for (const ConflictedPath& path : conflict.paths)
    if (still_marked(tree_repository.get(), tree.get(), path))
      conclusion.unresolved.push_back(path.path);
  if (!conclusion.unresolved.empty()) return conclusion;
  Commit ours, theirs;
  if (auto s = lookup_commit(tree_repository.get(), conflict.ours, ours); !s) return s.error();
  if (auto s = lookup_commit(tree_repository.get(), conflict.theirs, theirs); !s) return s.error();
  auto head = commit_merge(tree_repository.get(), worktree, *tree_id, ours.get(), theirs.get(),
                           author, message);
  if (!head) return head.error();
  conclusion.head = std::move(*head);
  return conclusion;
}

base::Status abandon_merge(Repository& repository, const Worktree& worktree,
                           const MergeConflict& conflict) {
  GitRepository tree_repository;
  if (auto s = open_worktree(repository.handle(), worktree, tree_repository); !s) return s;
  auto ours = parse_oid(conflict.ours);
  if (!ours) return ours.error();
  if (auto s =
          set_branch(tree_repository.get(), worktree, *ours, "abandon merge of " + conflict.branch);
      !s)
    return s;
  return check_out_commit(tree_repository.get(), worktree, conflict.ours,
                          GIT_CHECKOUT_REMOVE_UNTRACKED);
}

}  // namespace repo
