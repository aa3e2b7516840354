// One WebSocket connection from agentctl to agentd, over TCP, TLS or a unix socket, with the
// bearer token sent at the upgrade. Every operation has a deadline (handshake 10 s; a read
// fails when the server sends nothing, not even a pong, for 75 s), so agentctl never hangs on
// a dead connection.
#pragma once

#include <memory>
#include <string>

#include "base/expected.h"
#include "daemon/agentctl/cli.h"

namespace agentctl {

class Connection {
 public:
  virtual ~Connection() = default;
  virtual base::Status write_text(const std::string& text) = 0;
  // The next text message. An error when the connection is closed, lost or times out.
  virtual base::Expected<std::string> read_text() = 0;
  // A clean WebSocket close (best effort).
  virtual void close() = 0;
};

// Why connecting failed: authentication (HTTP 401/403) or anything else (refused, DNS, TLS).
struct ConnectError {
  bool auth = false;
  std::string message;
};

struct ConnectResult {
  std::unique_ptr<Connection> connection;  // null on failure
  ConnectError error;
};

ConnectResult connect(const Endpoint& endpoint, const std::string& token);

}  // namespace agentctl
