#include "daemon/agentctl/session.h"

#include <ostream>

#include "daemon/agentctl/render.h"

namespace agentctl {

std::unique_ptr<RpcClient> open_client(const Invocation& inv, Output io) {
  auto connected = connect(inv.endpoint, inv.token);
  if (!connected.connection) {
    io.err << "agentctl: " << connected.error.message;
    if (connected.error.auth && inv.token.empty())
      io.err << " (no token given: pass --token-file or set AGENTD_TOKEN)";
    io.err << "\n";
    return nullptr;
  }
  return std::make_unique<RpcClient>(std::move(connected.connection));
}

CallResult call_and_report(RpcClient& client, const std::string& method, nlohmann::json params,
                           Output io) {
  auto response = client.call(method, std::move(params));
  if (!response) {
    io.err << "agentctl: " << method << ": " << response.error().message << "\n";
    return {std::nullopt, kConnection};
  }
  if (response->error) {
    io.err << "agentctl: " << method << ": " << printable(describe(*response->error), false)
           << "\n";
    return {std::nullopt, exit_status_for(*response->error)};
  }
  return {std::move(response->result), kSucceeded};
}

bool is_final_state(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "cancelled" ||
         state == "interrupted" || state == "budget_exhausted";
}

int exit_status_for_state(const std::string& state) {
  return state == "succeeded" ? kSucceeded : kTaskFailed;
}

}  // namespace agentctl
