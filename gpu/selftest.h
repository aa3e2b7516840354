// `agentd gpu selftest` (and `agentd-gpu selftest`): proves passthrough works on this
// machine. A sandbox without a grant must open no NVIDIA node; one granted a GPU must open its
// nodes and no other GPU's; the CUDA probe must run inside it, and its figures are compared
// with a run outside any sandbox when asked.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gpu/passthrough.h"
#include "sandbox/runner.h"

namespace gpu {

struct SelftestOptions {
  // The command line that runs `open-check` inside sandboxes: {agentd, "gpu"} or {agentd-gpu}.
  std::vector<std::string> tool;
  std::string probe;  // agentd-gpu-probe; empty or missing: the probe step says it was not built
  uint32_t gpu = 0;   // inventory index to grant
  uint32_t rounds = 1;
  bool compare = false;  // also run the probe outside any sandbox, alternating, and compare
};

enum class SelftestOutcome { passed, failed, incomplete };

struct SelftestReport {
  SelftestOutcome outcome = SelftestOutcome::passed;
  std::vector<std::string> lines;  // one per check, "PASS ..." / "FAIL ..." / "SKIP ..."
  nlohmann::json figures = nlohmann::json::object();  // the probe's answers and the comparison
};

SelftestReport run_selftest(const Passthrough& passthrough, sandbox::Runner& runner,
                            const SelftestOptions& options);

}  // namespace gpu
