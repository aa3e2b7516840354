// agentd's command line:
//   agentd --config FILE                 run the daemon
//   agentd --check-config --config FILE  validate the configuration and every policy it names
//   agentd policy check [...] FILE...    the policies module's check (agentd-policy check)
//   agentd gpu list [--json] [--root DIR]  the GPUs agentd would use
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
    "       agentd gpu list [--json] [--root DIR]\n"
    "       agentd --version\n";

}  // namespace agentd
