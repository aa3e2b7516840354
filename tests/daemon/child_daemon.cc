#include "tests/daemon/child_daemon.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <fstream>

#include "base/unique_fd.h"
#include "daemon/server.h"
#include "sandbox/runner.h"
#include "tests/daemon/scripted_runner.h"

namespace agentd::testing {

namespace {

std::shared_ptr<sandbox::Runner> sandboxes_for(const Config& config) {
  sandbox::RunnerOptions options;
  options.first_host_id = config.sandbox.first_host_id;
  options.host_id_count = config.sandbox.host_id_count;
  options.id_lock_dir = config.sandbox.id_lock_dir;
  options.cgroup_parent = config.sandbox.cgroup_parent;
  auto runner = sandbox::Runner::create(options);
  if (!runner) _exit(73);
  return *runner;
}

[[noreturn]] void run_child(const std::string& config_file, int port_pipe, bool real_sandboxes) {
  auto config = load_config(config_file);
  if (!config) _exit(70);
  boost::asio::io_context io;
  ScriptedRunner runner;
  auto sandboxes = real_sandboxes ? sandboxes_for(*config) : nullptr;
  Server server(io, std::move(*config), runner, sandboxes, ServerOptions{true, false});
  if (!server.start()) _exit(71);
  const uint16_t port = server.tcp_port();
  if (::write(port_pipe, &port, sizeof port) != sizeof port) _exit(72);
  ::close(port_pipe);
  io.run();
  _exit(server.stopped() ? 0 : 1);
}

}  // namespace

std::string write_config(const std::string& dir, const nlohmann::json& config) {
  std::string file = dir + "/agentd.json";
  std::ofstream(file) << config.dump(2);
  return file;
}

base::Expected<std::unique_ptr<ChildDaemon>> ChildDaemon::start(
    const std::string& config_file, const std::function<void()>& child_setup, bool real_sandboxes) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return base::Error{"pipe2 failed"};
  base::UniqueFd read_end(fds[0]);
  const pid_t pid = ::fork();
  if (pid < 0) return base::Error{"fork failed"};
  if (pid == 0) {
    read_end.reset();
    if (child_setup) child_setup();
    run_child(config_file, fds[1], real_sandboxes);
  }
  ::close(fds[1]);
  std::unique_ptr<ChildDaemon> child(new ChildDaemon(pid, 0));
  pollfd ready{read_end.get(), POLLIN, 0};
  uint16_t port = 0;
  if (::poll(&ready, 1, 60'000) != 1 || ::read(read_end.get(), &port, sizeof port) != sizeof port)
    return base::Error{"the child daemon did not start (exit " +
                       std::to_string(child->wait(std::chrono::seconds(5)).value_or(-1)) + ")"};
  child->port_ = port;
  return child;
}

ChildDaemon::~ChildDaemon() {
  if (reaped_) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

void ChildDaemon::signal(int signal) const {
  ::kill(pid_, signal);
}

std::optional<int> ChildDaemon::wait(std::chrono::seconds limit) {
  if (reaped_) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

}  // namespace agentd::testing
