// The GPU commands' command line (`agentd gpu ...`, `agentd-gpu ...`): subcommand, discovery
// flags, and the flags of each subcommand.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.h"
#include "gpu/inventory.h"
#include "gpu/passthrough.h"

namespace gpu::tool {

// Which executable runs the commands: its name in messages, and the command line that runs its
// hidden `open-check` inside sandboxes.
struct Program {
  std::string name;                       // "agentd gpu", "agentd-gpu"
  std::vector<std::string> self_command;  // {"/usr/sbin/agentd", "gpu"}, {".../agentd-gpu"}
};

struct Options {
  std::string program;  // Program::name
  std::string command;  // list, selftest, contend, open-check
  DiscoveryOptions discovery;
  PassthroughOptions passthrough;
  bool json = false;
  uint32_t gpu = 0;
  uint32_t rounds = 1;
  bool compare = false;
  std::string probe;  // default: agentd-gpu-probe next to this executable or in ../gpu/
  uint32_t agents = 4;
  uint32_t max_wait_ms = 600'000;
  std::vector<std::string> paths;  // open-check
};

// args[0] is the subcommand.
base::Expected<Options> parse_options(const std::vector<std::string>& args,
                                      const std::string& program);
std::string usage(const std::string& program);

// This executable's path (/proc/self/exe), for binding it into sandboxes.
std::string self_path();

}  // namespace gpu::tool
