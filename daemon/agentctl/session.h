// What every agentctl command needs: a connection to the daemon and a uniform way to turn a
// failure into a message on stderr and an exit status.
#pragma once

#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "daemon/agentctl/cli.h"
#include "daemon/agentctl/rpc.h"

namespace agentctl {

struct Output {
  std::ostream& out;
  std::ostream& err;
};

// Connects; on failure prints why and returns null (exit status kConnection).
std::unique_ptr<RpcClient> open_client(const Invocation& inv, Output io);

// A call's result, or the exit status to return (the error already printed).
struct CallResult {
  std::optional<nlohmann::json> result;
  int status = kSucceeded;
};
CallResult call_and_report(RpcClient& client, const std::string& method, nlohmann::json params,
                           Output io);

// Exit status for a final task state: 0 for succeeded, 1 for every other final state.
int exit_status_for_state(const std::string& state);
bool is_final_state(const std::string& state);

}  // namespace agentctl
