// The editing tools coding agents expect, on a Workspace: edit_file (replace one exact
// occurrence) and apply_patch (a unified diff, all or nothing). Both read and write only
// through the Workspace, so they never follow a symlink and every write is atomic. The
// caller checks the policy first (ToolScope::check_edit_file; check_apply_patch for every
// path of patch_paths()); the messages here are worded for the model to act on.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agents/tools/unified_diff.h"
#include "agents/tools/workspace.h"
#include "base/expected.h"

namespace agents::tools {

struct EditResult {
  std::string path;  // normalised
  size_t line = 0;   // where the replaced text started, 1-based
};

// Replaces the one occurrence of `old_text` in the file at `path` with `new_text`. Refused:
// an empty old_text, a file over the workspace's read cap, and old_text occurring zero or
// several times (the message says how often and at which lines).
base::Expected<EditResult> edit_file(const Workspace& workspace, std::string_view path,
                                     std::string_view old_text, std::string_view new_text);

// Every path `files` names, old and new (each once), for the policy check.
std::vector<policies::WorkspacePath> patch_paths(const std::vector<FilePatch>& files);

struct PatchResult {
  std::vector<std::string> created, modified, deleted;  // normalised paths
};

// Applies parsed files: every hunk of every file is checked against the current content
// first; only when all match are files written (each atomically) and deleted. Should a write
// still fail then (a full disk), the files already written are put back as they were.
base::Expected<PatchResult> apply_patch(const Workspace& workspace,
                                        const std::vector<FilePatch>& files);

}  // namespace agents::tools
