// The agentctl commands. Each returns the process exit status (cli.h: ExitStatus).
#pragma once

#include "daemon/agentctl/cli.h"
#include "daemon/agentctl/session.h"

namespace agentctl {

int run_command(const Invocation& inv, Output io);

}  // namespace agentctl
