// Mount namespace: the sandbox's root file system. The parent turns a Spec's mounts into a flat
// list of primitive operations with every path precomputed; the child only executes them, so
// it allocates nothing and every failure points at one operation the parent can describe.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "sandbox/base.h"
#include "sandbox/spec.h"

namespace sandbox::mount {

enum class OpKind : uint8_t {
  mkdir,       // target (a mount point or a parent of one)
  mkfile,      // target: an empty file to bind a file onto
  symlink,     // target -> source
  write_file,  // target gets `source` as content (passwd, group, hosts)
  bind,        // source onto target, then mount attributes `attr`
  tmpfs,       // tmpfs with options `source` at target
  proc,        // a fresh proc at target
  set_attr,    // mount attributes `attr` on the mount at target (not recursive)
};

struct Op {
  OpKind kind;
  const char* source = nullptr;
  const char* target = nullptr;
  uint64_t attr = 0;  // MOUNT_ATTR_* set on bind and set_attr
};

// Where the child builds the new root before pivoting into it, and where the host's root
// stays reachable for bind sources meanwhile (both inside the child's private base tmpfs).
inline constexpr const char* kNewRoot = "/newroot";
inline constexpr const char* kOldRoot = "/oldroot";

struct Plan {
  std::vector<Op> ops;
  std::vector<std::string> descriptions;  // one per op, for error messages
  std::deque<std::string> strings;        // owns what ops point into (stable addresses)
  // Bind sources, opened O_PATH by the child before it becomes the sandbox user and bound later
  // through their /proc/self/fd links: the sandbox user needs no search permission on their
  // parent directories (a checkout under /root, say). `link` is a buffer the child fills.
  struct BindSource {
    const char* host_path;
    char* link;
  };
  std::vector<BindSource> bind_sources;
};

// Parent side: validates the mounts and devices of `spec` (absolute normalized targets, bind
// sources that exist, device nodes whose numbers match) and builds the plan.
Expected<Plan> parent_build_plan(const Spec& spec);

// Child side, in order: private propagation, base tmpfs, pivot to it, the plan's ops under
// kNewRoot, read-only root, detach the old root, pivot into the new root. Returns 0, or -errno
// with *failed_step set (see describe_root_step) and *failed_op the op index (or -1).
int child_build_root(const Plan& plan, int* failed_step, int* failed_op) noexcept;

// Child side, before it gives up its original credentials: opens every bind source. Returns 0,
// or -errno with *failed_op the index into bind_sources.
int child_open_bind_sources(const Plan& plan, int* failed_source) noexcept;

// Names a step of child_build_root for error messages ("pivot_root to base").
const char* describe_root_step(int step);

}  // namespace sandbox::mount
