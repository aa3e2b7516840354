// Paths and globs relative to an agent's workspace.
//
// WorkspacePath is the one lexical normaliser of a path a model or client sends: the policy's
// scope check matches its globs against a WorkspacePath, and the file tools open exactly that
// WorkspacePath (agents/tools/workspace.h, with openat2 RESOLVE_BENEATH, which also refuses
// symlinks out of the workspace). The code that checks a path is the code that then uses it.
// ".." is refused rather than resolved: with no ".." at all there is nothing to get wrong.
//
// Glob syntax: segments separated by '/'; `*` matches any characters within one segment
// (dot files included), `?` one character, and a `**` segment zero or more segments. So "**"
// matches everything including the workspace root itself, and "src/**" matches "src" and
// everything beneath it. A glob in a policy is validated so that it cannot name anything
// outside the workspace.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace policies {

inline constexpr size_t kMaxWorkspacePathBytes = 4096;
inline constexpr size_t kMaxGlobBytes = 1024;

class WorkspacePath {
 public:
  // "." and empty segments are dropped ("./src//a/" is "src/a"; "" and "." name the root).
  // Refused, with a message for the model that quotes `path` and says what is expected
  // (`path "../x" is outside the workspace; use a path relative to the workspace root without
  // ".."`): absolute paths, any ".." segment, NUL bytes, more than kMaxWorkspacePathBytes.
  static base::Expected<WorkspacePath> parse(std::string_view path);

  // "src/a", or "" for the root: what globs are matched against.
  const std::string& str() const { return normalized_; }
  // What openat2 is given beneath the workspace fd: str(), or "." for the root.
  std::string relative() const { return normalized_.empty() ? "." : normalized_; }
  bool is_root() const { return normalized_.empty(); }
  // The segments of str(); none for the root. Views into this object.
  std::vector<std::string_view> segments() const;

  bool operator==(const WorkspacePath&) const = default;

 private:
  explicit WorkspacePath(std::string normalized) : normalized_(std::move(normalized)) {}

  std::string normalized_;
};

// Why `glob` is not a workspace glob ("expected a relative glob like \"src/**\"..."), or
// nullopt when it is one.
std::optional<std::string> glob_problem(std::string_view glob);

// Whether a valid glob matches `path`. Only a parsed WorkspacePath can be matched, so a
// glob never sees a path the file tools would open differently.
bool glob_matches(std::string_view glob, const WorkspacePath& path);

}  // namespace policies
