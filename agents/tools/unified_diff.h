// Reading a unified diff, as `git diff` and `diff -u` write it, into plain data: the files it
// names and their hunks. The text comes from a model, so everything about it is checked and
// bounded here: sizes, counts, hunk line counts, and every path goes through
// policies::WorkspacePath::parse like any tool path (absolute paths and ".." are refused).
// Applying the result is code_edit.h's apply_patch.
//
// Supported: "---"/"+++" headers with or without git's a/ b/ prefixes (and diff -u's
// tab-separated timestamps), "/dev/null" for a created or deleted file, "@@ -l,s +l,s @@"
// hunks, "\ No newline at end of file", git's "diff --git"/"index"/"new file mode" lines.
// Refused with a message saying so: renames and copies, binary patches, quoted paths.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "policies/workspace_path.h"

namespace agents::tools {

inline constexpr size_t kMaxPatchBytes = size_t{1} << 20;
inline constexpr size_t kMaxPatchFiles = 256;
// base::Error::code of a patch naming a path outside the workspace (absolute, ".."): a
// refusal like the scope's, not a malformed patch.
inline constexpr int kPatchPathRefused = 1;

struct HunkLine {
  enum class Kind { context, removed, added } kind = Kind::context;
  std::string text;  // without the leading marker and without the newline
};

struct Hunk {
  size_t old_start = 0;  // 1-based; 0 when the old side is empty ("@@ -0,0 ...")
  size_t old_count = 0;
  size_t new_start = 0;
  size_t new_count = 0;
  std::vector<HunkLine> lines;
  bool old_ends_without_newline = false;  // "\ No newline at end of file" after an old line
  bool new_ends_without_newline = false;  // ... after a new line
  size_t patch_line = 0;                  // where its "@@" line is in the patch, 1-based
  std::string header;                     // the "@@ ... @@" line, for error messages

  std::vector<std::string_view> old_lines() const;  // context and removed, in order
  std::vector<std::string_view> new_lines() const;  // context and added, in order
};

struct FilePatch {
  // nullopt: /dev/null (the file is created, or deleted).
  std::optional<policies::WorkspacePath> old_path;
  std::optional<policies::WorkspacePath> new_path;
  std::vector<Hunk> hunks;
  size_t patch_line = 0;  // its "---" line

  bool creates() const { return !old_path.has_value(); }
  bool deletes() const { return !new_path.has_value(); }
  // The path it changes: new_path, or old_path for a deletion.
  const policies::WorkspacePath& path() const { return new_path ? *new_path : *old_path; }
};

// The files of `patch` in order, or why it is not a patch this reads, naming the patch line
// and what was expected. A patch naming no file, or one file twice, is an error.
base::Expected<std::vector<FilePatch>> parse_unified_diff(std::string_view patch);

}  // namespace agents::tools
