// The Python HTTP server of tests/fixtures/http/test_server.py, run for a test: started on
// 127.0.0.1 with a kernel-chosen port, killed (and reaped) when this object goes away.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/expected.h"
#include "base/unique_fd.h"

namespace agents::testing {

class LocalServer {
 public:
  // Error when /usr/bin/python3 is missing or the server does not report its port.
  static base::Expected<LocalServer> start();
  LocalServer(LocalServer&& other) noexcept;
  LocalServer& operator=(LocalServer&&) = delete;
  ~LocalServer();

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" + path
  std::string url(const std::string& path) const;

 private:
  LocalServer(pid_t pid, base::UniqueFd stdin_pipe, int port)
      : pid_(pid), stdin_pipe_(std::move(stdin_pipe)), port_(port) {}
  pid_t pid_ = -1;
  base::UniqueFd stdin_pipe_;  // closing it tells the server to exit
  int port_ = 0;
};

// Moves this process (the calling thread and what it starts later) into a new network
// namespace with only a loopback interface, so a test that goes wrong cannot reach a real
// host. Done once; the error says why it is unavailable (e.g. no CAP_SYS_ADMIN).
base::Status enter_loopback_only_network();

}  // namespace agents::testing
