// `agentd gpu contend` (and `agentd-gpu contend`): several agents contend for the GPUs through the
// lease scheduler, each running the CUDA probe in a sandbox granted its leased GPU (or, without a
// GPU or probe, a short sleep on a stand-in GPU), and the run reports waits, handovers and busy
// time.
#pragma once

#include <ostream>

#include "gpu/agentd-gpu/options.h"

namespace gpu::tool {

int run_contend(const Options& options, std::ostream& out, std::ostream& err);

}  // namespace gpu::tool
