// Which device nodes a sandbox can open: the isolation half of the GPU self-test. The tool's
// hidden `open-check` subcommand runs inside the sandbox; the parent side runs it and reads
// its answer.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "base/expected.h"
#include "gpu/passthrough.h"
#include "sandbox/runner.h"

namespace gpu {

// A Spec running `host_program` (bound read-only at /opt/agentd/bin/<its file name>) with
// `args`, on the default limits.
sandbox::Spec program_spec(const std::string& host_program, std::vector<std::string> args);

// Inside: opens each path read-write and writes "<errno> <path>" per line, 0 when it opened.
int open_check_main(const std::vector<std::string>& paths, std::ostream& out);

// Per path: 0 when a sandbox with `grant` (Passthrough::none() for no GPU) opened it
// read-write, else the errno. `tool` is the command line before `open-check`: {agentd, "gpu"}
// or {agentd-gpu}.
base::Expected<std::map<std::string, int>> open_in_sandbox(sandbox::Runner& runner,
                                                           const std::vector<std::string>& tool,
                                                           const GpuGrant& grant,
                                                           const std::vector<std::string>& paths);

}  // namespace gpu
