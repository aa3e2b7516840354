// The parent side of a sandbox: validate a Spec into everything the child will read, clone3
// into fresh namespaces, write the id maps, place the child in its cgroup, release it.
#pragma once

#include <string>
#include <vector>

#include "sandbox/base.h"
#include "sandbox/cgroup.h"
#include "sandbox/contain.h"
#include "sandbox/mount.h"
#include "sandbox/process.h"
#include "sandbox/seccomp.h"
#include "sandbox/spec.h"

namespace sandbox {

// A Spec checked and flattened for the child: owns every string the ChildPlan points into.
struct Prepared {
  mount::Plan mounts;
  std::vector<std::string> strings;  // argv, env and exec paths, in that order
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<const char*> exec_paths;
  std::vector<contain::Rlimit> rlimits;
  seccomp::FilterPtr seccomp;  // null: no filter, asked for explicitly
  std::string hostname;
  std::string workdir;
  bool new_network = true;
  int channel_fd = -1;  // borrowed from the Spec, which outlives the spawn
};

// Validates `spec` and builds the plan; touches nothing.
Expected<Prepared> parent_prepare(const Spec& spec);

struct Spawned {
  Process process;
  bool needs_placement = false;  // cgroup v1: call parent_place_in_cgroup before it can exec
  UniqueFd sync;                 // readable: a contain::ChildError, or EOF once execve succeeded
  UniqueFd stdout_read;
  UniqueFd stderr_read;
};

// Starts the child in its namespaces as host id `host_id`, feeding it `stdin_data`. On cgroup
// v2 it is born in `cgroup`; on v1 it starts building its root at once and waits, before it
// execs, for parent_place_in_cgroup.
Expected<Spawned> parent_spawn(const Prepared& prepared, const std::string& stdin_data,
                               const cgroup::Cgroup& cgroup, uint32_t host_id);

// cgroup v1 only: moves the child into `cgroup` and lets it go on to execve. Blocks for an RCU
// grace period inside the kernel, so the runner calls it off its event loop.
Status parent_place_in_cgroup(const Spawned& spawned, const cgroup::Cgroup& cgroup);

// "mount: read-only bind /data -> /data: No such file or directory (errno 2)".
std::string describe_child_error(const contain::ChildError& error, const Prepared& prepared);

}  // namespace sandbox
