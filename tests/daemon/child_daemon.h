// A daemon in a forked child process (ScriptedRunner, signals handled as in production), for
// the tests that signal or kill it: SIGTERM drain, SIGHUP reload, kill -9 recovery, notify.
#pragma once

#include <sys/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tests/daemon/ws_client.h"

namespace agentd::testing {

class ChildDaemon {
 public:
  // Starts agentd's Server from `config_file` in a child; `child_setup` runs in the child first
  // (environment variables, stderr to a file). With `real_sandboxes`, exec.run runs sandboxes
  // as in production (from the configuration's sandbox section); otherwise the server has
  // none. Error when it does not report a port.
  static base::Expected<std::unique_ptr<ChildDaemon>> start(
      const std::string& config_file, const std::function<void()>& child_setup = {},
      bool real_sandboxes = false);
  ~ChildDaemon();  // SIGKILLs and reaps a child still running

  Endpoint tcp() const { return Endpoint{port_, ""}; }
  pid_t pid() const { return pid_; }
  void signal(int signal) const;
  // The exit status (or 128 + signal), or nullopt if it has not exited within `limit`.
  std::optional<int> wait(std::chrono::seconds limit = std::chrono::seconds(60));

 private:
  ChildDaemon(pid_t pid, uint16_t port) : pid_(pid), port_(port) {}
  pid_t pid_;
  uint16_t port_;
  bool reaped_ = false;
};

// Writes `config` as dir/agentd.json and returns the path.
std::string write_config(const std::string& dir, const nlohmann::json& config);

}  // namespace agentd::testing
