// The GPU commands, shared by `agentd gpu ...` and the stand-alone `agentd-gpu ...`:
//   list      what discovery finds (the driver, GPUs, control nodes, driver libraries)
//   selftest  passthrough proven on this machine: isolation checks and the CUDA probe in a sandbox
//   contend   agents contending for the GPUs through leases
// and the hidden `open-check PATH...` that selftest runs inside its sandboxes.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "gpu/agentd-gpu/options.h"

namespace gpu::tool {

// args[0] is the subcommand. Exit status: 0 done or passed, 1 failed, 2 incomplete (no GPU, no
// sandbox runner), 64 usage error.
int run(const std::vector<std::string>& args, const Program& program, std::ostream& out,
        std::ostream& err);

}  // namespace gpu::tool
