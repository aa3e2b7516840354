// agentbox: the sandbox on its own. Prints one JSON Result; see cli.cc for the flags.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "sandbox/agentbox/cli.h"
#include "sandbox/runner.h"

int main(int argc, char** argv) {
  using namespace sandbox;
  auto command = agentbox::parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
  if (!command) {
    std::cerr << "agentbox: " << command.error().message << "\n";
    return 2;
  }
  if (command->help) {
    std::fputs(agentbox::usage(), stdout);
    return 0;
  }
  auto runner = Runner::create();
  if (!runner) {
    std::cerr << "agentbox: " << runner.error().message << "\n";
    return 1;
  }
  const Result result = runner.value()->run(std::move(command->spec));
  std::cout << to_json(result).dump() << "\n";
  if (result.status == RunStatus::setup_error) {
    std::cerr << "agentbox: setup failed: " << result.error << "\n";
    return 1;
  }
  return 0;
}
