// agentd: the daemon. See daemon/cli.h for the command line and DESIGN.md for the map.
#include <iostream>
#include <string>
#include <vector>

#include "daemon/cli.h"

int main(int argc, char** argv) {
  return agentd::run_cli(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
