#include "tests/daemon/ws_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

namespace agentd::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using nlohmann::json;

namespace {

// Connects a generic socket to TCP 127.0.0.1:port or a unix path, blocking (local only).
base::Expected<Socket> connect_socket(asio::io_context& io, const Endpoint& endpoint) {
  Socket socket(io);
  boost::system::error_code error;
  if (endpoint.unix_path.empty()) {
    asio::ip::tcp::endpoint tcp(asio::ip::make_address("127.0.0.1"), endpoint.port);
    socket.connect(asio::generic::stream_protocol::endpoint(tcp), error);
  } else {
    asio::local::stream_protocol::endpoint local(endpoint.unix_path);
    socket.connect(asio::generic::stream_protocol::endpoint(local), error);
  }
  if (error) return base::Error{"connect: " + error.message()};
  return socket;
}

}  // namespace

std::string HttpReply::header(const std::string& name) const {
  return std::string(response[name]);
}

base::Expected<HttpReply> http_request(
    const Endpoint& endpoint, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers, http::verb verb) {
  asio::io_context io;
  auto socket = connect_socket(io, endpoint);
  if (!socket) return socket.error();
  http::request<http::string_body> request{verb, target, 11};
  request.set(http::field::host, "localhost");
  for (const auto& [name, value] : headers) request.set(name, value);
  boost::system::error_code error;
  http::write(*socket, request, error);
  if (error) return base::Error{"write: " + error.message()};
  beast::flat_buffer buffer;
  HttpReply reply;
  http::read(*socket, buffer, reply.response, error);
  if (error) return base::Error{"read: " + error.message()};
  reply.status = static_cast<int>(reply.response.result_int());
  reply.body = reply.response.body();
  return reply;
}

base::Expected<std::unique_ptr<WsClient>> WsClient::connect(const Endpoint& endpoint,
                                                            const Options& options) {
  std::unique_ptr<WsClient> client(new WsClient());
  auto socket = connect_socket(client->io_, endpoint);
  if (!socket) return socket.error();
  client->ws_.next_layer() = std::move(*socket);
  client->ws_.set_option(
      websocket::stream_base::decorator([options](websocket::request_type& request) {
        if (options.token) request.set(http::field::authorization, "Bearer " + *options.token);
        if (!options.subprotocols.empty())
          request.set(http::field::sec_websocket_protocol, options.subprotocols);
      }));
  client->ws_.read_message_max(64 << 20);
  websocket::response_type response;
  boost::system::error_code error;
  client->ws_.handshake(response, "localhost", "/v1/ws", error);
  if (error)
    return base::Error{"upgrade refused: HTTP " + std::to_string(response.result_int()) + ": " +
                       error.message()};
  client->subprotocol_ = std::string(response[http::field::sec_websocket_protocol]);
  return client;
}

WsClient::~WsClient() {
  boost::system::error_code ignored;
  ws_.next_layer().close(ignored);
}

bool WsClient::wait(const bool& done, std::chrono::milliseconds timeout) {
  io_.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    io_.run_one_until(deadline);
    if (io_.stopped()) io_.restart();
  }
  if (done) return true;
  boost::system::error_code ignored;
  ws_.next_layer().cancel(ignored);
  while (!done) {
    io_.restart();
    io_.run_one_for(std::chrono::seconds(5));
  }
  return false;
}

void WsClient::send_text(const std::string& text) {
  ws_.text(true);
  boost::system::error_code ignored;
  ws_.write(asio::buffer(text), ignored);
}

void WsClient::send_binary(const std::string& data) {
  ws_.binary(true);
  boost::system::error_code ignored;
  ws_.write(asio::buffer(data), ignored);
}

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout) {
  bool done = false;
  boost::system::error_code result;
  ws_.async_read(buffer_, [&](boost::system::error_code error, std::size_t) {
    result = error;
    done = true;
  });
  if (!wait(done, timeout) || result) return std::nullopt;
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  return text;
}

json WsClient::call(const std::string& method, json params, std::chrono::milliseconds timeout) {
  const int id = next_id_++;
  send_text(json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto frame = read(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (!frame) break;
    json message = json::parse(*frame);
    if (message.contains("method")) {
      notifications_.push_back(std::move(message));
      continue;
    }
    if (message.value("id", json()) == id) return message;
  }
  return json{{"error", {{"code", 0}, {"message", "no response within the test's limit"}}}};
}

std::optional<json> WsClient::next_event(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    while (!notifications_.empty()) {
      json message = std::move(notifications_.front());
      notifications_.pop_front();
      if (message.value("method", "") == "task.event") return message["params"];
    }
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::milliseconds(0)) return std::nullopt;
    auto frame = read(std::chrono::duration_cast<std::chrono::milliseconds>(left));
    if (!frame) return std::nullopt;
    notifications_.push_back(json::parse(*frame));
  }
}

std::vector<json> WsClient::events_until_finished(std::chrono::milliseconds timeout) {
  std::vector<json> events;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (
      auto event = next_event(std::chrono::duration_cast<std::chrono::milliseconds>(std::max(
          deadline - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration(0))))) {
    events.push_back(*event);
    if ((*event)["type"] == "task.finished") break;
  }
  return events;
}

}  // namespace agentd::testing
