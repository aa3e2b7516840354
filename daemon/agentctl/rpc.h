// JSON-RPC 2.0 over a Connection: requests with increasing ids, responses matched by id, and
// the task.event notifications that arrive in between kept in order for the caller.
#pragma once

#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/expected.h"
#include "daemon/agentctl/connection.h"

namespace agentctl {

struct RpcError {
  int code = 0;
  std::string message;
  nlohmann::json data;  // null when the server sent none
};

// The answer to a call: a result or the server's error.
struct Response {
  nlohmann::json result;
  std::optional<RpcError> error;
};

class RpcClient {
 public:
  explicit RpcClient(std::unique_ptr<Connection> connection);
  ~RpcClient();

  // Sends `method` and waits for its response. The Expected's error is a transport failure
  // (the connection is then unusable).
  base::Expected<Response> call(const std::string& method, nlohmann::json params);
  // The next notification (queued during a call, or read now).
  base::Expected<nlohmann::json> next_notification();

 private:
  // Reads one message: a response (returned) or a notification (queued, returns null).
  base::Expected<nlohmann::json> read_message();

  std::unique_ptr<Connection> connection_;
  std::deque<nlohmann::json> notifications_;
  int64_t next_id_ = 1;
};

// "-32004 task not found" with the error's data when it has some.
std::string describe(const RpcError& error);
// The exit status for a request the server refused (kUsage, kConnection or kRefused).
int exit_status_for(const RpcError& error);

}  // namespace agentctl
