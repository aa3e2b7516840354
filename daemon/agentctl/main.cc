// agentctl: the command-line client of agentd. See `agentctl --help` and docs/operations.md.
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "daemon/agentctl/cli.h"
#include "daemon/agentctl/commands.h"

int main(int argc, char** argv) {
  // A closed stdout (agentctl ... | head) is an error on write, not a silent death.
  std::signal(SIGPIPE, SIG_IGN);
  std::ios::sync_with_stdio(false);
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto invocation = agentctl::parse_command_line(
      args, [](const char* name) -> const char* { return std::getenv(name); });
  if (!invocation) {
    std::cerr << "agentctl: " << invocation.error().message << "\n";
    return agentctl::kUsage;
  }
  if (invocation->help) {
    std::cout << agentctl::usage_text();
    return agentctl::kSucceeded;
  }
  const int status = agentctl::run_command(*invocation, {std::cout, std::cerr});
  std::cout.flush();
  return status;
}
