#include "repo/bundle.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include "repo/bundle_header.h"
#include "repo/git_internal.h"
#include "repo/pack_scan.h"

namespace repo {
namespace {

using namespace git_internal;  // NOLINT(google-build-using-namespace): the module's own
namespace fs = std::filesystem;

using Odb = Owned<git_odb, git_odb_free>;
using Indexer = Owned<git_indexer, git_indexer_free>;

// The directory import_bundle made, removed again unless the import got to the end: a failed
// import leaves nothing behind. Only ever a directory this process just created (mkdir said
// so), so removing it cannot reach anything the caller had.
class RemoveUnlessKept {
 public:
  explicit RemoveUnlessKept(fs::path dir) : dir_(std::move(dir)) {}
  RemoveUnlessKept(const RemoveUnlessKept&) = delete;
  RemoveUnlessKept& operator=(const RemoveUnlessKept&) = delete;
  ~RemoveUnlessKept() {
    if (kept_) return;
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  void keep() { kept_ = true; }

 private:
  fs::path dir_;
  bool kept_ = false;
};

base::Status make_new_directory(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0) return base::Ok{};
  const int error = errno;
  std::string why = error == EEXIST ? "it exists already; expected a path for a new repository"
                                    : std::string("mkdir: ") + std::strerror(error);
  return base::Error{"bundle: " + dir.string() + ": " + why, 0, error};
}

base::Status init_bare(const fs::path& dir, GitRepository& repository) {
  git_repository_init_options options;
  git_repository_init_options_init(&options, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
  // No GIT_REPOSITORY_INIT_EXTERNAL_TEMPLATE: libgit2's built-in template has no hook samples,
  // and no configured template directory is copied in.
  options.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_NO_REINIT;
  if (git_repository_init_ext(repository.out(), dir.c_str(), &options) != 0)
    return git_failure("bundle: creating the repository at " + dir.string());
  // Even the built-in template has an executable hooks/README.sample: the repository starts
  // with no executable file at all.
  std::error_code error;
  fs::remove_all(dir / "hooks", error);
  if (!error) fs::create_directory(dir / "hooks", error);
  if (error)
    return base::Error{"bundle: emptying " + (dir / "hooks").string() + ": " + error.message()};
  return base::Ok{};
}

struct ObjectCount {
  size_t max_objects;
  size_t total = 0;
};

int count_objects(const git_indexer_progress* progress, void* payload) {
  auto* count = static_cast<ObjectCount*>(payload);
  count->total = progress->total_objects;
  return count->total > count->max_objects ? -1 : 0;  // stops the indexer
}

// The packfile into the repository's objects/pack through libgit2's indexer, which checks every
// object's hash, the pack's checksum and (verify) that every object the pack's commits, trees
// and tags name is in it.
base::Status index_pack(git_repository* repository, std::string_view pack,
                        const BundleLimits& limits) {
  Odb odb;
  if (git_repository_odb(odb.out(), repository) != 0) return git_failure("bundle: object store");
  ObjectCount count{limits.max_objects};
  git_indexer_options options;
  git_indexer_options_init(&options, GIT_INDEXER_OPTIONS_VERSION);
  options.verify = 1;
  options.progress_cb = count_objects;
  options.progress_cb_payload = &count;
  const std::string pack_dir = std::string(git_repository_path(repository)) + "objects/pack";
  Indexer indexer;
  if (git_indexer_new(indexer.out(), pack_dir.c_str(), 0, odb.get(), &options) != 0)
    return git_failure("bundle: indexer");
  git_indexer_progress progress{};
  constexpr size_t chunk = size_t{1} << 20;  // so that the object limit stops a pack early
  int status = 0;
  for (size_t at = 0; status == 0 && at < pack.size(); at += chunk)
    status = git_indexer_append(indexer.get(), pack.data() + at, std::min(chunk, pack.size() - at),
                                &progress);
  if (status == 0) status = git_indexer_commit(indexer.get(), &progress);
  if (count.total > limits.max_objects)
    return base::Error{"bundle: the packfile holds " + std::to_string(count.total) +
                       " objects; at most " + std::to_string(limits.max_objects) + " are accepted"};
  if (status != 0)
    return git_failure(
        "bundle: the packfile is damaged or incomplete (expected the complete "
        "pack that `git bundle create` writes)");
  if (git_odb_refresh(odb.get()) != 0) return git_failure("bundle: object store");
  return base::Ok{};
}

const char* type_name(git_object_t type) {
  const char* name = git_object_type2string(type);
  return name && *name ? name : "unknown object";
}

// The commit `ref` finally names. Branches and HEAD name a commit; tags a commit or an annotated
// tag of one. Anything else (a blob, a tree, an object the pack lacks) is refused.
base::Expected<git_oid> target_commit(git_repository* repository, const BundleRef& ref) {
  auto oid = parse_oid(ref.id);
  if (!oid) return oid.error();
  Object object, commit;
  if (git_object_lookup(object.out(), repository, &*oid, GIT_OBJECT_ANY) != 0)
    return base::Error{"bundle: ref " + ref.name + " names " + ref.id +
                       ", which the bundle's packfile does not hold (expected every ref's object "
                       "in the pack)"};
  const git_object_t type = git_object_type(object.get());
  const bool is_tag = ref.name.rfind("refs/tags/", 0) == 0;
  const bool allowed = type == GIT_OBJECT_COMMIT || (is_tag && type == GIT_OBJECT_TAG);
  if (!allowed || git_object_peel(commit.out(), object.get(), GIT_OBJECT_COMMIT) != 0)
    return base::Error{"bundle: ref " + ref.name + " names a " + type_name(type) + " (" + ref.id +
                       "); expected " +
                       (is_tag ? "a commit or an annotated tag of one" : "a commit")};
  return *git_object_id(commit.get());
}

struct Imported {
  std::vector<std::pair<std::string, git_oid>> branches;  // in the bundle's order
  std::optional<git_oid> head;                            // HEAD's commit, where the bundle has one
};

base::Expected<Imported> create_refs(git_repository* repository, const std::vector<BundleRef>& refs,
                                     BundleImport& result) {
  Imported imported;
  for (const BundleRef& ref : refs) {
    auto commit = target_commit(repository, ref);
    if (!commit) return commit.error();
    if (ref.name == "HEAD") {
      imported.head = *commit;
      continue;
    }
    auto oid = parse_oid(ref.id);
    if (!oid) return oid.error();
    Reference created;
    if (git_reference_create(created.out(), repository, ref.name.c_str(), &*oid, 0,
                             "bundle import") != 0)
      return git_failure("bundle: ref " + ref.name);
    result.refs[ref.name] = ref.id;
    if (ref.name.rfind("refs/heads/", 0) == 0) imported.branches.emplace_back(ref.name, *commit);
  }
  return imported;
}

// The branch HEAD should name: refs/heads/main, then master, then the bundle's first branch;
// where `commit` is given, only among the branches at that commit.
std::optional<std::string> pick_branch(const Imported& imported, const git_oid* commit) {
  std::vector<std::string> candidates;
  for (const auto& [name, at] : imported.branches)
    if (!commit || git_oid_equal(&at, commit)) candidates.push_back(name);
  for (const char* preferred : {"refs/heads/main", "refs/heads/master"})
    if (std::find(candidates.begin(), candidates.end(), preferred) != candidates.end())
      return preferred;
  if (candidates.empty()) return std::nullopt;
  return candidates.front();
}

base::Status set_head(git_repository* repository, const Imported& imported, BundleImport& result) {
  const git_oid* head_commit = imported.head ? &*imported.head : nullptr;
  if (auto branch = pick_branch(imported, head_commit)) {
    if (git_repository_set_head(repository, branch->c_str()) != 0)
      return git_failure("bundle: HEAD");
    result.head_branch = *branch;
    for (const auto& [name, at] : imported.branches)
      if (name == *branch) result.head = hex(at);
    return base::Ok{};
  }
  if (!head_commit)
    return base::Error{
        "bundle: it has no HEAD and no branch; expected at least one refs/heads/* ref "
        "(make it with `git bundle create FILE --all`)"};
  if (git_repository_set_head_detached(repository, head_commit) != 0)
    return git_failure("bundle: HEAD");
  result.head = hex(*head_commit);
  return base::Ok{};
}

}  // namespace

base::Expected<BundleImport> import_bundle(std::string_view bytes, const fs::path& bare_dir,
                                           const BundleLimits& limits) {
  if (bytes.size() > limits.max_bundle_bytes)
    return base::Error{"bundle: " + std::to_string(bytes.size()) + " bytes; at most " +
                       std::to_string(limits.max_bundle_bytes) + " are accepted"};
  auto header = parse_bundle_header(bytes, limits);
  if (!header) return header.error();
  if (auto s = scan_pack_sizes(header->pack, {limits.max_object_bytes, limits.max_inflated_bytes});
      !s)
    return s.error();
  init_libgit2();
  if (auto made = make_new_directory(bare_dir); !made) return made.error();
  RemoveUnlessKept cleanup(bare_dir);  // destroyed last: after every libgit2 handle below
  BundleImport result;
  result.left_out = header->left_out;
  {
    GitRepository repository;
    if (auto s = init_bare(bare_dir, repository); !s) return s.error();
    if (auto s = index_pack(repository.get(), header->pack, limits); !s) return s.error();
    auto imported = create_refs(repository.get(), header->refs, result);
    if (!imported) return imported.error();
    if (auto s = set_head(repository.get(), *imported, result); !s) return s.error();
  }
  cleanup.keep();
  return result;
}

}  // namespace repo
