// agentd's command line:
//   agentd --config FILE                 run the daemon
//   agentd --check-config --config FILE  validate the configuration and every policy it names
//   agentd policy check [...] FILE...    the policies module's check (agentd-policy check)
//   agentd gpu list|selftest|contend ...  the GPUs agentd would use, passthrough proven on them,
//                                         agents contending for them (gpu/agentd-gpu/commands.h)
//   agentd --version | --help
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace agentd {

// The exit status: 0 success, 1 failure, 64 bad usage.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Runs the daemon until SIGTERM; 0 after a clean shutdown.
int serve(const std::string& config_file, std::ostream& err);

inline constexpr const char* kUsage =
    "usage: agentd --config FILE\n"
    "       agentd --check-config --config FILE\n"
    "       agentd policy check [--caps FILE] [--policy-dir DIR]... POLICY...\n"
    "       agentd gpu list [--json] [DISCOVERY]\n"
    "       agentd gpu selftest [--gpu N] [--rounds N] [--compare] [--probe PATH] [DISCOVERY]\n"
    "       agentd gpu contend [--agents N] [--max-wait-ms N] [--probe PATH] [DISCOVERY]\n"
    "       agentd --version\n";

}  // namespace agentd
