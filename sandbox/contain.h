// The child side of a sandbox: everything between clone3 and execve, in the order DESIGN.md
// gives. The parent prepares a ChildPlan; the child only reads it. Between clone and execve
// there are no exceptions, no allocations and no locks: a failure writes one ChildError to the
// sync socket and _exits.
#pragma once

#include <sys/resource.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sandbox/mount.h"
#include "sandbox/seccomp.h"

namespace sandbox::contain {

enum class Step : int32_t {
  wait_for_parent,
  open_bind_sources,
  user,
  parent_death_signal,
  nested_user_namespaces,
  hostname,
  loopback,
  mounts,
  workdir,
  wait_for_cgroup,
  cgroup_namespace,
  file_descriptors,
  rlimits,
  setsid,
  no_new_privs,
  capabilities,
  seccomp,
  start_program,
  execve,
  // Not a failure: the sandbox's init reports how the program (its only child) ended.
  program_ended,
};

std::string_view describe(Step step);

// What the child reports over the sync socket: a failing step, or how the program ended.
struct ChildError {
  Step step;
  int32_t error;       // errno; for Step::program_ended the program's wait status
  int32_t mount_step;  // Step::mounts: see mount::describe_root_step
  int32_t mount_op;    // Step::mounts: index into the mount plan, or -1
};

struct Rlimit {
  int resource;
  struct rlimit value;
};

struct ChildPlan {
  int sync_fd = -1;  // SOCK_SEQPACKET; "go" arrives here; CLOEXEC, so EOF means execve worked
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  int channel_fd = -1;  // -1: none; else the program gets it at sandbox::kChannelFd
  // cgroup v1: the parent moves us into our cgroup while we build the root (the move waits for
  // an RCU grace period, milliseconds); we wait for its second byte, then take a cgroup
  // namespace rooted there.
  bool wait_for_cgroup = false;
  bool loopback = false;  // a fresh network namespace
  const char* hostname = nullptr;
  const mount::Plan* mounts = nullptr;
  const char* workdir = "/";
  const Rlimit* rlimits = nullptr;
  size_t rlimit_count = 0;
  const seccomp::Filter* seccomp = nullptr;  // null: no filter (asked for explicitly)
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* const* exec_paths = nullptr;  // argv[0] resolved against the Spec's PATH
  size_t exec_path_count = 0;
};

// Runs in the child right after clone3 and becomes the sandbox's init (pid 1): it starts the
// program as pid 2, so the program gets ordinary signal semantics (pid 1 ignores default-action
// signals such as SIGTERM, SIGPIPE and SIGXFSZ), reaps orphans, and reports the program's end.
// Never returns.
[[noreturn]] void child_main(const ChildPlan& plan) noexcept;

}  // namespace sandbox::contain
