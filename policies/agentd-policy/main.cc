// agentd-policy: the policy tool until the daemon folds it in as `agentd policy check`.
#include <iostream>
#include <string>
#include <vector>

#include "policies/check_command.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] != "check") {
    std::cerr << "agentd-policy: expected a command\n" << policies::kCheckUsage;
    return 1;
  }
  args.erase(args.begin());
  return policies::run_check_command(args, std::cout, std::cerr);
}
