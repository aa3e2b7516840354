// agentbox's command line: `agentbox run [options] -- CMD [ARGS...]` into a sandbox::Spec.
#pragma once

#include <string>
#include <vector>

#include "sandbox/base.h"
#include "sandbox/spec.h"

namespace sandbox::agentbox {

struct Command {
  bool help = false;
  Spec spec;
};

// Parses argv (without the program name). Errors are one line naming the flag and what was
// expected; nothing is created while parsing beyond reading the files flags name.
Expected<Command> parse_command_line(const std::vector<std::string>& args);

const char* usage();

}  // namespace sandbox::agentbox
