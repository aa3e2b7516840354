// agentd-gpu: list the GPUs agentd would use, prove passthrough works (selftest), and show
// agents contending for GPUs through leases (contend). The daemon later folds these into
// `agentd gpu ...`.
#include <iostream>
#include <nlohmann/json.hpp>

#include "gpu/open_check.h"
#include "gpu/selftest.h"
#include "gpu/tool/contend.h"
#include "gpu/tool/options.h"

namespace {

using gpu::tool::Options;

int list(const Options& options) {
  auto inventory = gpu::discover(options.discovery);
  if (options.json) {
    std::cout << gpu::to_json(inventory).dump(2) << "\n";
  } else {
    std::cout << gpu::describe(inventory);
  }
  return 0;
}

int selftest(const Options& options) {
  auto inventory = gpu::discover(options.discovery);
  std::cout << gpu::describe(inventory);
  auto passthrough = gpu::Passthrough::prepare(std::move(inventory), options.passthrough);
  if (!passthrough) {
    std::cout << "SKIP " << passthrough.error().message << "\nselftest: incomplete\n";
    return 2;
  }
  auto runner = sandbox::Runner::create();
  if (!runner) {
    std::cout << "FAIL cannot create the sandbox runner: " << runner.error().message << "\n";
    return 1;
  }
  gpu::SelftestOptions selftest{gpu::tool::self_path(), options.probe, options.gpu, options.rounds,
                                options.compare};
  auto report = gpu::run_selftest(*passthrough, **runner, selftest);
  for (const auto& line : report.lines) std::cout << line << "\n";
  std::cout << "figures " << report.figures.dump() << "\n";
  switch (report.outcome) {
    case gpu::SelftestOutcome::passed:
      std::cout << "selftest: passed\n";
      return 0;
    case gpu::SelftestOutcome::failed:
      std::cout << "selftest: FAILED\n";
      return 1;
    case gpu::SelftestOutcome::incomplete:
      std::cout << "selftest: incomplete\n";
      return 2;
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = gpu::tool::parse_options(argc, argv);
  if (!options) {
    std::cerr << "agentd-gpu: " << options.error().message;
    return 64;  // EX_USAGE
  }
  if (options->command == "open-check") return gpu::open_check_main(options->paths, std::cout);
  if (options->command == "list") return list(*options);
  if (options->command == "selftest") return selftest(*options);
  return gpu::tool::run_contend(*options);
}
