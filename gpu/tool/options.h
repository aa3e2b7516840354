// agentd-gpu's command line: subcommand, discovery flags, and the flags of each subcommand.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gpu/inventory.h"
#include "gpu/passthrough.h"
#include "sandbox/expected.h"

namespace gpu::tool {

struct Options {
  std::string command;  // list, selftest, contend, open-check
  DiscoveryOptions discovery;
  PassthroughOptions passthrough;
  bool json = false;
  uint32_t gpu = 0;
  uint32_t rounds = 1;
  bool compare = false;
  std::string probe;  // default: agentd-gpu-probe next to this executable
  uint32_t agents = 4;
  uint32_t max_wait_ms = 600'000;
  std::vector<std::string> paths;  // open-check
};

sandbox::Expected<Options> parse_options(int argc, char** argv);
std::string usage();

// This executable's path (/proc/self/exe), for binding it into sandboxes.
std::string self_path();

}  // namespace gpu::tool
