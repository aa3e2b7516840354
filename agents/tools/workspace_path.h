// Path handling beneath a workspace directory fd: lexical checks of the paths agents send,
// and openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, so no
// symlink, "..", absolute path or /proc magic link can lead outside the workspace, whatever
// a sandbox planted there (Judge0's CVE-2024-28185).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/expected.h"

namespace agents::tools {

// The components of a workspace-relative path, with "." and empty components dropped and
// ".." applied lexically (exact, since symlinks are never followed). Errors: NUL byte,
// absolute path, too long, escaping the workspace. An empty result names the workspace.
sandbox::Expected<std::vector<std::string>> split_workspace_path(std::string_view path);

std::string join_path(const std::vector<std::string>& components, size_t count);

// openat2 beneath `dirfd`; returns the new fd, or -errno.
int open_beneath(int dirfd, const std::string& path, uint64_t flags, uint64_t mode = 0);

// Why a call on a workspace path failed, for the model: "a path component is a symbolic
// link (symlinks are not followed)"; unexpected errors name the call and errno.
std::string describe_errno(int error, std::string_view call);

}  // namespace agents::tools
