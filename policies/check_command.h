// `policy check FILE...`: loads, validates, merges, clamps and compiles each policy and prints
// "ok" with the effective policy, or every error. Lives in the library so that the daemon
// (`agentd policy check`) and the standalone `agentd-policy` tool run the same code.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace policies {

// `args` are what follows "check": [--caps FILE] [--policy-dir DIR]... FILE|NAME...
// Returns the exit status: 0 when every policy is valid, 1 otherwise (or on bad usage).
int run_check_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

inline constexpr const char* kCheckUsage =
    "usage: check [--caps FILE] [--policy-dir DIR]... POLICY...\n"
    "  POLICY is a policy file, or the name of a built-in or --policy-dir policy.\n"
    "  Prints \"ok\" and the effective (merged, clamped) policy, or every error.\n";

}  // namespace policies
