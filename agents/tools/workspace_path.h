// Opening paths beneath a workspace directory fd: openat2 with RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, so no symlink, "..", absolute path or /proc
// magic link can lead outside the workspace, whatever a sandbox planted there (Judge0's
// CVE-2024-28185). The lexical part, turning what a model sent into a path, is
// policies::WorkspacePath, the same code the policy check uses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace agents::tools {

// openat2 beneath `dirfd`; returns the new fd, or -errno.
int open_beneath(int dirfd, const std::string& path, uint64_t flags, uint64_t mode = 0);

// Why a call on a workspace path failed, for the model: "a path component is a symbolic
// link (symlinks are not followed)"; unexpected errors name the call and errno.
std::string describe_errno(int error, std::string_view call);

}  // namespace agents::tools
