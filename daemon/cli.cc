#include "daemon/cli.h"

#include <boost/asio/io_context.hpp>
#include <csignal>
#include <nlohmann/json.hpp>

#include "agents/http/curl_multi.h"
#include "agents/llm/client.h"
#include "daemon/agents_task_runner.h"
#include "daemon/config_check.h"
#include "daemon/server.h"
#include "gpu/agentd-gpu/commands.h"
#include "policies/check_command.h"
#include "sandbox/runner.h"

#ifndef AGENTD_VERSION
#define AGENTD_VERSION "0.0.0-dev"
#endif

namespace agentd {

int serve(const std::string& config_file, std::ostream& err) {
  auto config = load_config(config_file);
  if (!config) {
    err << config.error().message << "\n";
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  boost::asio::io_context io(1);
  sandbox::RunnerOptions runner_options;
  runner_options.first_host_id = config->sandbox.first_host_id;
  runner_options.host_id_count = config->sandbox.host_id_count;
  runner_options.id_lock_dir = config->sandbox.id_lock_dir;
  runner_options.cgroup_parent = config->sandbox.cgroup_parent;
  auto sandboxes = sandbox::Runner::create(runner_options);
  if (!sandboxes) {
    err << "agentd: cannot run sandboxes: " << sandboxes.error().message << "\n";
    return 1;
  }
  agents::http::Client http(io.get_executor());
  agents::llm::Client llm(http, config->models);
  AgentsTaskRunner runner(io.get_executor(), llm, **sandboxes, http,
                          config->sandbox.workspace_root);
  Server server(io, std::move(*config), runner, *sandboxes);
  if (auto started = server.start(); !started) {
    err << "agentd: " << started.error().message << "\n";
    return 1;
  }
  io.run();
  return server.stopped() ? 0 : 1;
}

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? err : out) << kUsage;
    return args.empty() ? 64 : 0;
  }
  if (args[0] == "--version") {
    out << "agentd " << AGENTD_VERSION << "\n";
    return 0;
  }
  if (args[0] == "policy") {
    if (args.size() < 2 || args[1] != "check") {
      err << kUsage;
      return 64;
    }
    return policies::run_check_command({args.begin() + 2, args.end()}, out, err);
  }
  if (args[0] == "gpu") {
    // Inside selftest's sandboxes, `agentd gpu open-check` runs from this same executable.
    const gpu::tool::Program program{"agentd gpu", {gpu::tool::self_path(), "gpu"}};
    return gpu::tool::run({args.begin() + 1, args.end()}, program, out, err);
  }
  bool check = false;
  std::string file;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--check-config")
      check = true;
    else if (args[i] == "--config" && i + 1 < args.size())
      file = args[++i];
    else if (args[i].rfind("--config=", 0) == 0)
      file = args[i].substr(9);
    else {
      err << "agentd: unknown argument \"" << args[i] << "\"\n" << kUsage;
      return 64;
    }
  }
  if (file.empty()) {
    err << "agentd: --config FILE is required\n" << kUsage;
    return 64;
  }
  if (!check) return serve(file, err);
  if (auto checked = check_config_file(file); !checked) {
    err << checked.error().message << "\n";
    return 1;
  }
  out << file << ": ok\n";
  return 0;
}

}  // namespace agentd
