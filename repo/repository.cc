#include "repo/repository.h"

#include <git2.h>
#include <sys/stat.h>

#include "repo/git_internal.h"

namespace repo {

using namespace git_internal;  // NOLINT(google-build-using-namespace): the module's own

void Repository::Free::operator()(git_repository* repository) const {
  git_repository_free(repository);
}

Repository::Repository(Repository&&) noexcept = default;
Repository& Repository::operator=(Repository&&) noexcept = default;
Repository::~Repository() = default;

base::Expected<Repository> Repository::open(const std::filesystem::path& path) {
  init_libgit2();
  git_repository* repository = nullptr;
  if (git_repository_open_ext(&repository, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) !=
      0)
    return git_failure("repository " + path.string());
  return Repository(repository);
}

base::Expected<std::string> Repository::resolve(const std::string& ref) const {
  Object object, commit;
  if (git_revparse_single(object.out(), repository_.get(), ref.c_str()) != 0)
    return git_failure("ref \"" + ref + "\"");
  if (git_object_peel(commit.out(), object.get(), GIT_OBJECT_COMMIT) != 0)
    return git_failure("ref \"" + ref + "\" names no commit");
  return hex(*git_object_id(commit.get()));
}

namespace {

// The worktree's index as `commit`'s tree, for files that were placed rather than checked out.
// It holds no file's stat data, so the first commit hashes every file once.
base::Status index_from_tree(git_repository* worktree, git_commit* commit) {
  Index index;
  Tree tree;
  if (git_commit_tree(tree.out(), commit) != 0 ||
      git_repository_index(index.out(), worktree) != 0 ||
      git_index_read_tree(index.get(), tree.get()) != 0 || git_index_write(index.get()) != 0)
    return git_failure("worktree index");
  return base::Ok{};
}

}  // namespace

base::Expected<Worktree> Repository::add_worktree(
    const std::string& name, const std::string& branch, const std::string& commit,
    const std::filesystem::path& dir,
    const std::function<base::Status(const std::filesystem::path& dir)>& place_files) {
  if (auto s = check_worktree_name(name); !s) return s.error();
  Commit base;
  if (auto s = lookup_commit(repository_.get(), commit, base); !s) return s.error();
  {
    // libgit2's worktree metadata is not safe to change from two threads at once (adds race to
    // make .git/worktrees and misread each other's half-written HEADs; bench/worktrees and
    // WorktreesComeAndGoInParallel saw both): the metadata takes turns, the checkout does not.
    std::lock_guard lock(metadata_changes());
    std::error_code ignored;
    std::filesystem::create_directories(
        std::filesystem::path(git_repository_commondir(repository_.get())) / "worktrees", ignored);
    Reference ref;
    if (git_branch_create(ref.out(), repository_.get(), branch.c_str(), base.get(), 0) != 0)
      return git_failure("branch " + branch);
    git_worktree_add_options options;
    git_worktree_add_options_init(&options, GIT_WORKTREE_ADD_OPTIONS_VERSION);
    options.ref = ref.get();
    options.checkout_options.checkout_strategy = GIT_CHECKOUT_NONE;
    GitWorktree added;
    if (git_worktree_add(added.out(), repository_.get(), name.c_str(), dir.c_str(), &options) !=
        0) {
      base::Error error = git_failure("worktree " + name);
      git_branch_delete(ref.get());  // no branch without its worktree
      return error;
    }
  }
  Worktree worktree{name, branch, commit, dir};
  GitRepository tree_repository;
  git_checkout_options checkout;
  git_checkout_options_init(&checkout, GIT_CHECKOUT_OPTIONS_VERSION);
  checkout.checkout_strategy = GIT_CHECKOUT_FORCE;
  base::Status checked_out = open_worktree(repository_.get(), worktree, tree_repository);
  if (checked_out && place_files) {
    checked_out = place_files(dir);
    if (checked_out) checked_out = index_from_tree(tree_repository.get(), base.get());
  } else if (checked_out) {
    if (git_checkout_head(tree_repository.get(), &checkout) != 0)
      checked_out = git_failure("worktree " + name + ": checkout");
    if (checked_out) checked_out = open_to_sandboxes(dir);
  }
  if (!checked_out) {
    [[maybe_unused]] auto removed = remove_worktree(worktree, /*keep_branch=*/false);
    return checked_out.error();
  }
  return worktree;
}

namespace {

// git_index_add_all's and git_index_update_all's say on each path: 1 skips it.
struct SizeFilter {
  std::filesystem::path workdir;
  std::vector<std::string> too_large;

  static int skip_large(const char* path, const char* /*matched*/, void* payload) {
    auto& filter = *static_cast<SizeFilter*>(payload);
    struct stat st {};
    if (::lstat((filter.workdir / path).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    if (static_cast<uint64_t>(st.st_size) <= kMaxCommittedFileBytes) return 0;
    filter.too_large.emplace_back(path);
    return 1;
  }
};

}  // namespace

base::Expected<std::string> Repository::commit_all(const Worktree& worktree,
                                                   const Signature& author,
                                                   const std::string& message,
                                                   std::vector<std::string>* too_large) {
  GitRepository tree_repository;
  if (auto s = open_worktree(repository_.get(), worktree, tree_repository); !s) return s.error();
  Index index;
  SizeFilter filter{worktree.dir, {}};
  char* everything[] = {const_cast<char*>("*")};
  const git_strarray all = {everything, 1};
  if (git_repository_index(index.out(), tree_repository.get()) != 0 ||
      git_index_add_all(index.get(), &all, GIT_INDEX_ADD_DEFAULT, SizeFilter::skip_large,
                        &filter) != 0 ||
      git_index_update_all(index.get(), &all, SizeFilter::skip_large, &filter) != 0 ||
      git_index_write(index.get()) != 0)
    return git_failure("worktree " + worktree.name + ": index");
  if (too_large) *too_large = std::move(filter.too_large);
  git_oid tree_id, head_id;
  Tree tree;
  Reference head;
  Commit parent;
  if (git_index_write_tree(&tree_id, index.get()) != 0 ||
      git_tree_lookup(tree.out(), tree_repository.get(), &tree_id) != 0 ||
      git_repository_head(head.out(), tree_repository.get()) != 0 ||
      git_reference_peel(reinterpret_cast<git_object**>(parent.out()), head.get(),
                         GIT_OBJECT_COMMIT) != 0)
    return git_failure("worktree " + worktree.name + ": tree");
  if (git_oid_equal(&tree_id, git_commit_tree_id(parent.get())))
    return hex(*git_commit_id(parent.get()));  // nothing changed
  GitSignature signature;
  if (git_signature_now(signature.out(), author.name.c_str(), author.email.c_str()) != 0)
    return git_failure("author");
  const git_commit* parents[] = {parent.get()};
  if (git_commit_create(&head_id, tree_repository.get(), "HEAD", signature.get(), signature.get(),
                        nullptr, message.c_str(), tree.get(), 1, parents) != 0)
    return git_failure("worktree " + worktree.name + ": commit");
  return hex(head_id);
}

namespace {

// Files past this size diff as binary ("Binary files differ"): a planted 1 GiB file costs the
// daemon no more than a stat.
constexpr git_off_t kMaxDiffedFileBytes = 1 << 20;

git_diff_options diff_options() {
  git_diff_options options;
  git_diff_options_init(&options, GIT_DIFF_OPTIONS_VERSION);
  options.max_size = kMaxDiffedFileBytes;
  return options;
}

base::Expected<Patch> patch_of(git_diff* diff, size_t max_bytes) {
  Patch patch;
  for (size_t i = 0; i < git_diff_num_deltas(diff); ++i)
    patch.files.emplace_back(git_diff_get_delta(diff, i)->new_file.path);
  git_buf text = GIT_BUF_INIT;
  if (git_diff_to_buf(&text, diff, GIT_DIFF_FORMAT_PATCH) != 0) return git_failure("patch");
  patch.text.assign(text.ptr, std::min(text.size, max_bytes));
  patch.truncated = text.size > max_bytes;
  git_buf_dispose(&text);
  return patch;
}

}  // namespace

base::Expected<Patch> Repository::diff(const std::string& base, const std::string& head,
                                       size_t max_bytes) const {
  Commit from, to;
  Tree from_tree, to_tree;
  if (auto s = lookup_commit(repository_.get(), base, from); !s) return s.error();
  if (auto s = lookup_commit(repository_.get(), head, to); !s) return s.error();
  if (git_commit_tree(from_tree.out(), from.get()) != 0 ||
      git_commit_tree(to_tree.out(), to.get()) != 0)
    return git_failure("diff trees");
  Diff diff;
  const git_diff_options options = diff_options();
  if (git_diff_tree_to_tree(diff.out(), repository_.get(), from_tree.get(), to_tree.get(),
                            &options) != 0)
    return git_failure("diff " + base + ".." + head);
  return patch_of(diff.get(), max_bytes);
}

base::Expected<Patch> Repository::diff_worktree(const Worktree& worktree, size_t max_bytes) const {
  GitRepository tree_repository;
  if (auto s = open_worktree(repository_.get(), worktree, tree_repository); !s) return s.error();
  Commit from;
  Tree from_tree;
  if (auto s = lookup_commit(tree_repository.get(), worktree.base, from); !s) return s.error();
  if (git_commit_tree(from_tree.out(), from.get()) != 0) return git_failure("diff tree");
  git_diff_options options = diff_options();
  options.flags |= GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS |
                   GIT_DIFF_SHOW_UNTRACKED_CONTENT;
  Diff diff;
  if (git_diff_tree_to_workdir(diff.out(), tree_repository.get(), from_tree.get(), &options) != 0)
    return git_failure("worktree " + worktree.name + ": diff");
  return patch_of(diff.get(), max_bytes);
}

base::Status Repository::remove_worktree(const Worktree& worktree, bool keep_branch) {
  // Deleting a branch scans every worktree's HEAD, and libgit2 misreads one that another thread
  // is pruning at that moment ("the current HEAD of a linked repository"): changes take turns.
  if (auto s = check_worktree_name(worktree.name); !s) return s;
  std::lock_guard lock(metadata_changes());
  GitWorktree handle;
  if (git_worktree_lookup(handle.out(), repository_.get(), worktree.name.c_str()) == 0) {
    git_worktree_prune_options options;
    git_worktree_prune_options_init(&options, GIT_WORKTREE_PRUNE_OPTIONS_VERSION);
    options.flags = GIT_WORKTREE_PRUNE_VALID | GIT_WORKTREE_PRUNE_LOCKED;  // files: the caller's
    if (git_worktree_prune(handle.get(), &options) != 0)
      return git_failure("worktree " + worktree.name + ": prune");
  }
  if (keep_branch) return base::Ok{};
  Reference branch;
  if (git_branch_lookup(branch.out(), repository_.get(), worktree.branch.c_str(),
                        GIT_BRANCH_LOCAL) != 0)
    return base::Ok{};  // gone already
  if (git_branch_delete(branch.get()) != 0) return git_failure("branch " + worktree.branch);
  return base::Ok{};
}

}  // namespace repo
