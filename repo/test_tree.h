// The tree a repository's tests run on (issue 13: "a candidate cannot change what judges it"):
// a candidate's commit, with every protected path (its tests and the runner's configuration)
// as the base commit has it, plus the task's hidden tests, checked out into a directory of its
// own. Built with libgit2 alone, in memory: no git command, no hook, no filter (not even CRLF
// conversion: the files are the blobs' bytes), nothing written to the repository, and neither
// the repository's index nor any worktree touched, so trees for many candidates can be made at
// once (each call opens its own handle on the repository).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "repo/repository.h"

namespace repo {

struct TestTree {
  std::filesystem::path dir;  // the checked-out files: the caller's to remove
  // The protected paths the candidate changed, added or deleted (head differs from base),
  // sorted; and the candidate's files that had to go because a restored protected path needs
  // their place (a file where the base has a directory of tests, or the reverse). None of
  // those changes count: "the candidate changed tests/test_x.py; those changes do not count".
  std::vector<std::string> protected_changes;
};

// At most this many bytes of hidden tests together (they are held in memory while the tree is
// made).
inline constexpr size_t kMaxExtraFileBytes = 64 << 20;

// The tree of commit `head` in which every path that `is_protected` says yes to (called with
// each file's path relative to the top, "tests/test_x.py") comes from commit `base` instead: a
// protected file the candidate changed is the base's again, one it added is gone, one it deleted
// is back. Then `extra_files` (path -> content, regular files) are laid over it, replacing what
// is at their paths. Checked out into `dir`, which must not exist (its parents are made), and
// opened to sandboxes (git_internal.h: open_to_sandboxes). Symbolic links in the tree are
// checked out as links; a submodule's place is an empty directory (its files are in another
// repository). On failure nothing is left at `dir`.
base::Expected<TestTree> make_test_tree(
    Repository& repository, const std::string& base, const std::string& head,
    const std::function<bool(std::string_view path)>& is_protected,
    const std::vector<std::pair<std::string, std::string>>& extra_files,
    const std::filesystem::path& dir);

}  // namespace repo
