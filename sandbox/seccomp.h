// seccomp profiles in Docker's JSON format, compiled in the parent with libseccomp and only
// loaded in the child, last, right before execve (DESIGN.md, containment step 5).
#pragma once

#include <linux/filter.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/base.h"

namespace sandbox::seccomp {

// A compiled classic-BPF program for the native architecture, ready to load.
struct Filter {
  std::string name;  // "default", or the profile's file name
  std::vector<sock_filter> program;
};

using FilterPtr = std::shared_ptr<const Filter>;

// Parses a profile in Docker's seccomp format (defaultAction, defaultErrnoRet, archMap,
// syscalls with names/action/errnoRet/args, includes/excludes) and compiles it for the native
// architecture as seen by a sandbox that holds no capabilities. `origin` names the source in
// error messages ("policy.json: syscalls/3/action: unknown action \"SCMP_ACT_FOO\"...").
Expected<FilterPtr> compile_docker_profile(std::string_view json_text, std::string_view origin);

// Reads and compiles a profile file in Docker's format.
Expected<FilterPtr> load_profile_file(const std::string& path);

// The built-in profile for untrusted code (sandbox/profiles/default.json), stricter than
// Docker's default. Compiled once per process, then shared.
FilterPtr builtin_default();

// Child side: installs `filter` on the calling thread. Async-signal-safe, allocates nothing.
// Returns 0 or -errno. PR_SET_NO_NEW_PRIVS must already be set.
int child_install(const Filter& filter) noexcept;

}  // namespace sandbox::seccomp
