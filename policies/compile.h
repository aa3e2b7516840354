// Compilation: a loaded policy plus the server's caps give what enforcement needs. The
// ToolScope is layer one (every tool call is checked against it); the sandbox::Spec template
// is layer two (what code that run_code lets through can do inside the sandbox).
#pragma once

#include <string>
#include <vector>

#include "policies/caps.h"
#include "policies/policy.h"
#include "policies/tool_scope.h"
#include "sandbox/spec.h"

namespace policies {

struct Compiled {
  Policy effective;  // the policy after clamping: what actually applies
  ToolScope scope;   // layer one; the same as effective.scope
  // Layer two, a template: argv is empty (run_code fills it), /workspace is a tmpfs of the
  // policy's workspace_size (bind_workspace replaces it with the agent's directory), no
  // devices (the GPU lease adds them; scope.gpu says how many).
  sandbox::Spec spec;
  // What the caps changed, one line each: "clamped /limits/memory from 8G to 2G".
  std::vector<std::string> notes;
};

Compiled compile(const Policy& policy, const Caps& caps);

// `spec` with its /workspace mount replaced by a bind of `host_dir`, read-only or read-write
// as the policy says. The daemon creates and owns `host_dir`; it must not be a path a sandbox
// could have planted a symlink into.
sandbox::Spec bind_workspace(sandbox::Spec spec, const std::string& host_dir,
                             WorkspaceAccess access);

}  // namespace policies
