// Importing a git bundle that a remote client uploaded (issue 13's `repository: {bundle}`) into
// a new bare repository, with libgit2 alone: the bytes are hostile, and the git CLI never runs
// on untrusted data outside a sandbox. The header (gitformat-bundle: v2 or v3, sha1 only) is
// parsed here; the packfile goes through libgit2's indexer with its connectivity checks; only
// branches, tags and HEAD become refs. A bundle carries no hooks and no config, so the result
// runs nothing of the client's.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace repo {

struct BundleLimits {
  size_t max_bundle_bytes = size_t{32} << 20;  // the whole upload
  size_t max_header_bytes = size_t{1} << 20;   // signature, capabilities, prerequisites, refs
  size_t max_refs = 10000;
  size_t max_objects = 1000000;  // objects in the packfile
  // Unpacked sizes (repo/pack_scan.h): one object or delta result, and all of them together.
  size_t max_object_bytes = size_t{128} << 20;
  size_t max_inflated_bytes = size_t{4} << 30;
};

struct BundleImport {
  std::string head;         // the commit HEAD resolves to (40 hex digits)
  std::string head_branch;  // "refs/heads/main" where HEAD is a branch; empty when detached
  // Every ref imported (branches and tags, not HEAD) → the object it names (40 hex digits): a
  // commit, or an annotated tag of one.
  std::map<std::string, std::string> refs;
  // Valid refs the bundle has that are neither branches, tags nor HEAD (refs/remotes/*,
  // refs/notes/*, refs/stash...): not imported.
  std::vector<std::string> left_out;
};

// Makes a new bare repository at `bare_dir` (which must not exist; its parent must) holding the
// bundle's objects and refs. A bundle with prerequisites (incremental) is refused: the
// repository would lack history. On any failure nothing is left at `bare_dir`.
base::Expected<BundleImport> import_bundle(std::string_view bytes,
                                           const std::filesystem::path& bare_dir,
                                           const BundleLimits& limits = {});

}  // namespace repo
