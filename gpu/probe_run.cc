#include "gpu/probe_run.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/unique_fd.h"
#include "gpu/open_check.h"

extern char** environ;

namespace gpu {

namespace {

base::Expected<nlohmann::json> parse_answer(const std::string& where, const std::string& output) {
  auto answer = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object()) {
    return base::Error{where + ": the probe printed no JSON object: " + output.substr(0, 500)};
  }
  if (answer.value("ok", false) != true) {
    return base::Error{where + ": the probe failed: " + answer.value("error", output)};
  }
  return answer;
}

std::string os_error(const char* call) {
  int error = errno;
  return std::string(call) + " failed: " + std::strerror(error) + " (errno " +
         std::to_string(error) + ")";
}

}  // namespace

base::Expected<nlohmann::json> run_probe_in_sandbox(sandbox::Runner& runner,
                                                    const std::string& probe,
                                                    const GpuGrant& grant) {
  sandbox::Spec spec = program_spec(probe, {});
  add_to_spec(grant, spec);
  // CUDA starts a few threads and maps host memory for each context; the defaults are too tight.
  spec.limits.memory_bytes = 4ull << 30;
  spec.limits.pids = 256;
  spec.limits.open_files = 1024;
  spec.limits.wall_time = std::chrono::seconds(120);
  sandbox::Result result = runner.run(std::move(spec));
  if (result.status == sandbox::RunStatus::setup_error) {
    return base::Error{"probe in sandbox: setup failed: " + result.error};
  }
  if (result.status != sandbox::RunStatus::ok &&
      result.status != sandbox::RunStatus::exit_nonzero) {
    return base::Error{"probe in sandbox: " + std::string(sandbox::to_string(result.status)) +
                       "; stderr: " + result.stderr_data};
  }
  return parse_answer("probe in sandbox", result.stdout_data);
}

base::Expected<nlohmann::json> run_probe_directly(const std::string& probe, const GpuGrant& grant) {
  std::vector<std::string> env_strings(grant.env.begin(), grant.env.end());
  for (char** entry = environ; *entry; ++entry) {
    std::string_view e(*entry);
    if (!e.starts_with("CUDA_") && !e.starts_with("NVIDIA_")) env_strings.emplace_back(e);
  }
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string program = probe;
  char* argv[] = {program.data(), nullptr};

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return base::Error{"probe: " + os_error("pipe2")};
  base::UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  pid_t pid = 0;
  int spawn_error = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    return base::Error{"probe: posix_spawn " + probe + ": " + std::strerror(spawn_error)};
  }
  write_end.reset();
  std::string output;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(read_end.get(), buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) output.append(buffer, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return parse_answer("probe outside any sandbox", output);
}

}  // namespace gpu
