#include "repo/tree_list.h"

#include <git2.h>

#include "repo/git_internal.h"

namespace repo {

using namespace git_internal;  // NOLINT(google-build-using-namespace): the module's own

namespace {

struct Walk {
  TreeListing* listing;
  size_t max_paths;
};

int visit(const char* root, const git_tree_entry* entry, void* payload) {
  if (git_tree_entry_type(entry) == GIT_OBJECT_TREE) return 0;  // descend
  auto* walk = static_cast<Walk*>(payload);
  ++walk->listing->total;
  if (walk->listing->paths.size() < walk->max_paths)
    walk->listing->paths.push_back(std::string(root) + git_tree_entry_name(entry));
  return 0;
}

}  // namespace

base::Expected<TreeListing> list_files(const Repository& repository, const std::string& commit,
                                       size_t max_paths) {
  Commit found;
  Tree tree;
  if (auto s = lookup_commit(repository.handle(), commit, found); !s) return s.error();
  if (git_commit_tree(tree.out(), found.get()) != 0) return git_failure("tree of " + commit);
  TreeListing listing;
  Walk walk{&listing, max_paths};
  if (git_tree_walk(tree.get(), GIT_TREEWALK_PRE, visit, &walk) != 0)
    return git_failure("listing " + commit);
  return listing;
}

}  // namespace repo
