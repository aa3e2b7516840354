// User namespace: which host id a sandbox runs as, and the maps that make it so.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "sandbox/base.h"

namespace sandbox::user {

// The uid and gid a sandboxed program has inside its user namespace.
inline constexpr uint32_t kSandboxId = 1000;

// An exclusive claim on one host uid/gid from a configured range. Held as an flock on a lock
// file, so leases are exclusive across processes and die with the process that held them.
class IdLease {
 public:
  static Expected<IdLease> acquire(const std::string& lock_dir, uint32_t first, uint32_t count);
  uint32_t host_id() const { return host_id_; }

 private:
  IdLease(UniqueFd lock, uint32_t host_id) : lock_(std::move(lock)), host_id_(host_id) {}
  UniqueFd lock_;
  uint32_t host_id_ = 0;
};

// Parent side: maps the child's kSandboxId to `host_id` (uid and gid), single id each, so no
// other host id (root above all) exists inside. setgroups stays allowed only so that the child
// can drop the supplementary groups it inherited before switching user.
Status parent_write_id_maps(pid_t child, uint32_t host_id);

// Parent side, once before any sandbox: the child resolves `root` and `root`/tmp as its
// unprivileged host id (it mounts its base on /tmp and writes /proc/sys after switching user),
// so both must be directories that others may search. A host whose / is mode 0700 (a
// debootstrapped tree made with mktemp -d, entered with pivot_root) would otherwise fail every
// sandbox with a bare "Permission denied"; the error names the directory, its mode and the fix.
Status check_host_searchable(const std::string& root = "/");

// Child side: clears supplementary groups and becomes kSandboxId. Capabilities in the new user
// namespace survive (the old uid is not the namespace's root), so mount setup can follow.
// Returns 0 or -errno. Async-signal-safe.
int child_become_sandbox_user() noexcept;

}  // namespace sandbox::user
