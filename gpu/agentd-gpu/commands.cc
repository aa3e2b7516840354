#include "gpu/agentd-gpu/commands.h"

#include <nlohmann/json.hpp>

#include "gpu/agentd-gpu/contend.h"
#include "gpu/open_check.h"
#include "gpu/selftest.h"

namespace gpu::tool {

namespace {

int list(const Options& options, std::ostream& out) {
  auto inventory = discover(options.discovery);
  if (options.json) {
    out << to_json(inventory).dump(2) << "\n";
  } else {
    out << describe(inventory);
  }
  return 0;
}

int selftest(const Options& options, const Program& program, std::ostream& out) {
  auto inventory = discover(options.discovery);
  out << describe(inventory);
  auto passthrough = Passthrough::prepare(std::move(inventory), options.passthrough);
  if (!passthrough) {
    out << "SKIP " << passthrough.error().message << "\nselftest: incomplete\n";
    return 2;
  }
  auto runner = sandbox::Runner::create();
  if (!runner) {
    out << "FAIL cannot create the sandbox runner: " << runner.error().message << "\n";
    return 1;
  }
  SelftestOptions selftest{program.self_command, options.probe, options.gpu, options.rounds,
                           options.compare};
  auto report = run_selftest(*passthrough, **runner, selftest);
  for (const auto& line : report.lines) out << line << "\n";
  out << "figures " << report.figures.dump() << "\n";
  switch (report.outcome) {
    case SelftestOutcome::passed:
      out << "selftest: passed\n";
      return 0;
    case SelftestOutcome::failed:
      out << "selftest: FAILED\n";
      return 1;
    case SelftestOutcome::incomplete:
      out << "selftest: incomplete\n";
      return 2;
  }
  return 1;
}

}  // namespace

int run(const std::vector<std::string>& args, const Program& program, std::ostream& out,
        std::ostream& err) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    out << usage(program.name);
    return 0;
  }
  auto options = parse_options(args, program.name);
  if (!options) {
    err << program.name << ": " << options.error().message;
    return 64;  // EX_USAGE
  }
  if (options->command == "open-check") return open_check_main(options->paths, out);
  if (options->command == "list") return list(*options, out);
  if (options->command == "selftest") return selftest(*options, program, out);
  return run_contend(*options, out, err);
}

}  // namespace gpu::tool
