// A WebSocket client for the daemon's tests (TCP or unix socket, optional TLS-less only), with
// every wait bounded so that a daemon bug fails a test instead of hanging it. JSON-RPC calls
// keep the notifications that arrive before their response.
#pragma once

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/expected.h"

namespace agentd::testing {

using Socket = boost::asio::generic::stream_protocol::socket;

struct Endpoint {
  uint16_t port = 0;      // 127.0.0.1:port, or
  std::string unix_path;  // a unix socket
};

struct HttpReply {
  int status = 0;
  std::string body;
  std::string header(const std::string& name) const;
  boost::beast::http::response<boost::beast::http::string_body> response;
};

// One HTTP/1.1 request on a fresh connection.
base::Expected<HttpReply> http_request(
    const Endpoint& endpoint, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers = {},
    boost::beast::http::verb verb = boost::beast::http::verb::get);

class WsClient {
 public:
  struct Options {
    std::optional<std::string> token;  // Authorization: Bearer
    std::string subprotocols;          // Sec-WebSocket-Protocol
  };
  // Error: the upgrade was refused (the message has the HTTP status) or the connection failed.
  static base::Expected<std::unique_ptr<WsClient>> connect(const Endpoint& endpoint,
                                                           const Options& options);
  ~WsClient();

  void send_text(const std::string& text);
  void send_binary(const std::string& data);
  // The next frame, or nullopt when none came within `timeout` or the connection closed.
  std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Sends a request and returns its response (notifications that come first are kept).
  nlohmann::json call(const std::string& method, nlohmann::json params = nlohmann::json::object(),
                      std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // The next task.event notification's params (kept ones first).
  std::optional<nlohmann::json> next_event(
      std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Events until (and including) the task's task.finished.
  std::vector<nlohmann::json> events_until_finished(
      std::chrono::milliseconds timeout = std::chrono::seconds(30));

  bool is_open() const { return ws_.is_open(); }
  // The close frame's code the server sent (after read() returned nullopt).
  int close_code() const { return static_cast<int>(ws_.reason().code); }
  std::string accepted_subprotocol() const { return subprotocol_; }
  std::deque<nlohmann::json>& notifications() { return notifications_; }

 private:
  WsClient() : ws_(io_) {}
  // Runs the io_context until `done` or `timeout`; cancels what is pending on timeout.
  bool wait(const bool& done, std::chrono::milliseconds timeout);

  boost::asio::io_context io_;
  boost::beast::websocket::stream<Socket> ws_;
  boost::beast::flat_buffer buffer_;
  std::deque<nlohmann::json> notifications_;
  std::string subprotocol_;
  int next_id_ = 1;
};

}  // namespace agentd::testing
