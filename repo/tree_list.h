// The files of a commit's tree as paths, for prompts (a planner that splits work on a
// repository by files and modules): read from the object database alone, no checkout.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/expected.h"
#include "repo/repository.h"

namespace repo {

struct TreeListing {
  std::vector<std::string> paths;  // the first max_paths files in git's order ("src/add.py")
  size_t total = 0;                // every file of the tree (links and submodules included)
};

base::Expected<TreeListing> list_files(const Repository& repository, const std::string& commit,
                                       size_t max_paths);

}  // namespace repo
