// Running the CUDA probe (gpu/probe/gpu_probe.cu) inside a sandbox with a GPU grant, or
// directly with the same CUDA environment, and reading its JSON answer.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/expected.h"
#include "gpu/passthrough.h"
#include "sandbox/runner.h"

namespace gpu {

// The probe's JSON object ({"ok": true, "device": ..., "d2d_copy": {...}, ...}); an error when
// it could not run or reported "ok": false.
base::Expected<nlohmann::json> run_probe_in_sandbox(sandbox::Runner& runner,
                                                    const std::string& probe,
                                                    const GpuGrant& grant);

// The same, as a plain child process of this one: the baseline for the sandbox's overhead.
base::Expected<nlohmann::json> run_probe_directly(const std::string& probe, const GpuGrant& grant);

}  // namespace gpu
