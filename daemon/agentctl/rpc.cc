#include "daemon/agentctl/rpc.h"

#include "daemon/agentctl/cli.h"

namespace agentctl {

using base::Error;
using base::Expected;
using nlohmann::json;

RpcClient::RpcClient(std::unique_ptr<Connection> connection) : connection_(std::move(connection)) {}

RpcClient::~RpcClient() {
  if (connection_) connection_->close();
}

Expected<json> RpcClient::read_message() {
  auto text = connection_->read_text();
  if (!text) return text.error();
  json message = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded() || !message.is_object())
    return Error{"the server sent something that is not a JSON-RPC object"};
  if (message.contains("id") && !message["id"].is_null()) return message;
  if (message.contains("method")) {
    notifications_.push_back(std::move(message));
    return json(nullptr);
  }
  // An error without an id: the server could not read our request at all.
  return message;
}

Expected<Response> RpcClient::call(const std::string& method, json params) {
  const int64_t id = next_id_++;
  const json request = {
      {"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
  if (auto sent = connection_->write_text(request.dump()); !sent) return sent.error();
  for (;;) {
    auto message = read_message();
    if (!message) return message.error();
    if (message->is_null()) continue;  // a notification, queued
    const json& reply_id = (*message)["id"];
    if (!reply_id.is_null() && reply_id != json(id)) continue;  // a stale reply: not ours
    Response response;
    if (message->contains("error") && (*message)["error"].is_object()) {
      const json& error = (*message)["error"];
      RpcError rpc_error;
      rpc_error.code = error.value("code", 0);
      rpc_error.message = error.value("message", std::string("(no message)"));
      if (error.contains("data")) rpc_error.data = error["data"];
      response.error = std::move(rpc_error);
    } else if (message->contains("result")) {
      response.result = (*message)["result"];
    } else {
      return Error{"the server's response to " + method + " holds neither result nor error"};
    }
    return response;
  }
}

Expected<json> RpcClient::next_notification() {
  while (notifications_.empty()) {
    auto message = read_message();
    if (!message) return message.error();
    // A response nobody waits for is dropped.
  }
  json notification = std::move(notifications_.front());
  notifications_.pop_front();
  return notification;
}

std::string describe(const RpcError& error) {
  std::string text = "error " + std::to_string(error.code) + ": " + error.message;
  if (!error.data.is_null()) text += " " + error.data.dump();
  return text;
}

int exit_status_for(const RpcError& error) {
  switch (error.code) {
    case -32700:  // parse error: we sent bad JSON (should not happen) or the server thinks so
    case -32600:  // invalid request
    case -32601:  // method not found
    case -32602:  // invalid params: a bad spec, a wrong field
      return kUsage;
    case -32001:  // unauthorized
      return kConnection;
    default:
      return kRefused;
  }
}

}  // namespace agentctl
