#include "gpu/open_check.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <sstream>

namespace gpu {

sandbox::Spec program_spec(const std::string& host_program, std::vector<std::string> args) {
  std::string inside = "/opt/agentd/bin/" + std::filesystem::path(host_program).filename().string();
  args.insert(args.begin(), inside);
  sandbox::Spec spec = sandbox::default_spec(std::move(args));
  spec.mounts.push_back({sandbox::MountType::ro_bind, host_program, inside, 0});
  return spec;
}

int open_check_main(const std::vector<std::string>& paths, std::ostream& out) {
  for (const auto& path : paths) {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY);
    out << (fd >= 0 ? 0 : errno) << " " << path << "\n";
    if (fd >= 0) ::close(fd);
  }
  return 0;
}

base::Expected<std::map<std::string, int>> open_in_sandbox(sandbox::Runner& runner,
                                                           const std::vector<std::string>& tool,
                                                           const GpuGrant& grant,
                                                           const std::vector<std::string>& paths) {
  if (tool.empty()) return base::Error{"open-check sandbox: no tool command"};
  std::vector<std::string> args(tool.begin() + 1, tool.end());
  args.push_back("open-check");
  args.insert(args.end(), paths.begin(), paths.end());
  sandbox::Spec spec = program_spec(tool.front(), std::move(args));
  add_to_spec(grant, spec);
  sandbox::Result result = runner.run(std::move(spec));
  if (result.status != sandbox::RunStatus::ok) {
    return base::Error{"open-check sandbox: " + std::string(sandbox::to_string(result.status)) +
                       " " + result.error + result.stderr_data};
  }
  std::map<std::string, int> errors;
  std::istringstream lines(result.stdout_data);
  int error = 0;
  std::string path;
  while (lines >> error && std::getline(lines >> std::ws, path)) errors[path] = error;
  if (errors.size() != paths.size()) {
    return base::Error{"open-check sandbox: expected " + std::to_string(paths.size()) +
                       " answers, got: " + result.stdout_data};
  }
  return errors;
}

}  // namespace gpu
