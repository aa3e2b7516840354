// Paths and globs relative to an agent's workspace. A path the model sends is normalized
// lexically here (the file tools then open it with openat2 RESOLVE_BENEATH, which also refuses
// symlinks out of the workspace); a glob in a policy is validated so that it cannot name
// anything outside the workspace.
//
// Glob syntax: segments separated by '/'; `*` matches any characters within one segment
// (dot files included), `?` one character, and a `**` segment zero or more segments. So "**"
// matches everything including the workspace root itself, and "src/**" matches "src" and
// everything beneath it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace policies {

inline constexpr size_t kMaxWorkspacePathBytes = 4096;
inline constexpr size_t kMaxGlobBytes = 1024;

// The path relative to the workspace root without "." or empty segments ("" is the root), or
// nullopt when it is absolute, has a ".." segment, a NUL byte, or is too long.
std::optional<std::string> normalize_workspace_path(std::string_view path);

// Why `glob` is not a workspace glob ("expected a relative glob like \"src/**\"..."), or
// nullopt when it is one.
std::optional<std::string> glob_problem(std::string_view glob);

// Whether a valid glob matches a path from normalize_workspace_path.
bool glob_matches(std::string_view glob, std::string_view normalized_path);

}  // namespace policies
