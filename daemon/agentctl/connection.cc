// Beast's asynchronous operations driven one at a time by a private io_context: this keeps
// the code as simple as the synchronous API while getting Beast's websocket timeouts (which
// only apply to asynchronous operations) and its automatic replies to the server's pings.
#include "daemon/agentctl/connection.h"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>

namespace agentctl {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using base::Error;
using base::Expected;
using namespace std::chrono_literals;

constexpr auto kConnectTimeout = 10s;
constexpr auto kIdleTimeout = 75s;  // the daemon pings every 30 s
constexpr size_t kMaxMessageBytes = 64 << 20;

// Runs `io` until one asynchronous operation completes and returns its error code. Not
// io.run(): Beast's websocket timer stays armed between operations, so the context never
// runs out of work while the connection is open.
template <class Start>
beast::error_code run_one(asio::io_context& io, Start start) {
  beast::error_code result = asio::error::would_block;
  bool done = false;
  start([&result, &done](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  io.restart();
  while (!done && io.run_one() > 0) {
  }
  return result;
}

std::string describe(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  if (ec == websocket::error::closed) return "closed by the server";
  return ec.message();
}

template <class Stream>
class WsConnection final : public Connection {
 public:
  template <class... Args>
  explicit WsConnection(std::unique_ptr<asio::io_context> io, Args&&... args)
      : io_(std::move(io)), ws_(std::forward<Args>(args)...) {
    ws_.read_message_max(kMaxMessageBytes);
  }

  ConnectError handshake(const std::string& host, const std::string& target,
                         const std::string& token) {
    beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout = kConnectTimeout;
    timeouts.idle_timeout = kIdleTimeout;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
      req.set(http::field::user_agent, "agentctl/0.1");
      if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    }));
    websocket::response_type response;
    const auto ec = run_one(*io_, [&](auto handler) {
      ws_.async_handshake(response, host, target, std::move(handler));
    });
    if (!ec) return {};
    const unsigned status = response.result_int();
    if (status == 401 || status == 403)
      return {true, "the server refused the token (HTTP " + std::to_string(status) + ")"};
    if (ec == websocket::error::upgrade_declined)
      return {false, "the server declined the WebSocket upgrade at " + target + " (HTTP " +
                         std::to_string(status) + ")"};
    return {false, "WebSocket handshake: " + describe(ec)};
  }

  base::Status write_text(const std::string& text) override {
    ws_.text(true);
    const auto ec = run_one(
        *io_, [&](auto handler) { ws_.async_write(asio::buffer(text), std::move(handler)); });
    if (ec) return Error{"sending to the server: " + describe(ec)};
    return base::Ok{};
  }

  Expected<std::string> read_text() override {
    beast::flat_buffer buffer;
    const auto ec =
        run_one(*io_, [&](auto handler) { ws_.async_read(buffer, std::move(handler)); });
    if (ec) return Error{"reading from the server: " + describe(ec)};
    if (!ws_.got_text()) return Error{"the server sent a binary message"};
    return beast::buffers_to_string(buffer.data());
  }

  void close() override {
    if (!ws_.is_open()) return;
    (void)run_one(*io_, [&](auto handler) {
      ws_.async_close(websocket::close_code::normal, std::move(handler));
    });
  }

  Stream& stream() { return ws_; }
  asio::io_context& io() { return *io_; }

 private:
  std::unique_ptr<asio::io_context> io_;  // declared first: the stream uses it
  Stream ws_;
};

using TcpWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
using UnixStream = beast::basic_stream<asio::local::stream_protocol>;
using UnixWs = websocket::stream<UnixStream>;

// TCP connect to the first address of `host` that answers, within the connect timeout.
template <class Lowest>
ConnectError tcp_connect(asio::io_context& io, Lowest& lowest, const Endpoint& endpoint) {
  asio::ip::tcp::resolver resolver(io);
  beast::error_code ec;
  const auto addresses = resolver.resolve(endpoint.host, endpoint.port, ec);
  if (ec) return {false, "resolving " + endpoint.host + ": " + ec.message()};
  lowest.expires_after(kConnectTimeout);
  ec = run_one(io, [&](auto handler) { lowest.async_connect(addresses, std::move(handler)); });
  if (ec)
    return {false, "connecting to " + endpoint.host + ":" + endpoint.port + ": " + describe(ec)};
  return {};
}

ConnectResult connect_tcp(const Endpoint& endpoint, const std::string& token) {
  auto io = std::make_unique<asio::io_context>();
  auto& io_ref = *io;
  auto conn = std::make_unique<WsConnection<TcpWs>>(std::move(io), io_ref);
  auto& lowest = beast::get_lowest_layer(conn->stream());
  if (auto error = tcp_connect(conn->io(), lowest, endpoint); !error.message.empty())
    return {nullptr, error};
  if (auto error = conn->handshake(endpoint.host, endpoint.path, token); !error.message.empty())
    return {nullptr, error};
  return {std::move(conn), {}};
}

ConnectResult connect_tls(const Endpoint& endpoint, const std::string& token) {
  // The context must outlive the stream: it lives as long as the process (one per run).
  static asio::ssl::context tls(asio::ssl::context::tls_client);
  beast::error_code ec;
  if (endpoint.ca_file.empty())
    tls.set_default_verify_paths(ec);
  else
    tls.load_verify_file(endpoint.ca_file, ec);
  if (ec) return {nullptr, {false, "loading CA certificates: " + ec.message()}};
  tls.set_verify_mode(asio::ssl::verify_peer);

  auto io = std::make_unique<asio::io_context>();
  auto& io_ref = *io;
  auto conn = std::make_unique<WsConnection<TlsWs>>(std::move(io), io_ref, tls);
  auto& tls_stream = conn->stream().next_layer();
  if (auto error = tcp_connect(conn->io(), beast::get_lowest_layer(tls_stream), endpoint);
      !error.message.empty())
    return {nullptr, error};
  // SNI and host name verification against the certificate.
  SSL_set_tlsext_host_name(tls_stream.native_handle(), endpoint.host.c_str());
  tls_stream.set_verify_callback(asio::ssl::host_name_verification(endpoint.host));
  ec = run_one(conn->io(), [&](auto handler) {
    tls_stream.async_handshake(asio::ssl::stream_base::client, std::move(handler));
  });
  if (ec) return {nullptr, {false, "TLS handshake with " + endpoint.host + ": " + ec.message()}};
  if (auto error = conn->handshake(endpoint.host, endpoint.path, token); !error.message.empty())
    return {nullptr, error};
  return {std::move(conn), {}};
}

ConnectResult connect_unix(const Endpoint& endpoint, const std::string& token) {
  auto io = std::make_unique<asio::io_context>();
  auto& io_ref = *io;
  auto conn = std::make_unique<WsConnection<UnixWs>>(std::move(io), io_ref);
  auto& lowest = beast::get_lowest_layer(conn->stream());
  lowest.expires_after(kConnectTimeout);
  const asio::local::stream_protocol::endpoint address(endpoint.unix_path);
  const auto ec =
      run_one(conn->io(), [&](auto handler) { lowest.async_connect(address, std::move(handler)); });
  if (ec)
    return {nullptr, {false, "connecting to unix:" + endpoint.unix_path + ": " + describe(ec)}};
  if (auto error = conn->handshake("localhost", endpoint.path, token); !error.message.empty())
    return {nullptr, error};
  return {std::move(conn), {}};
}

}  // namespace

ConnectResult connect(const Endpoint& endpoint, const std::string& token) {
  switch (endpoint.kind) {
    case Endpoint::Kind::tcp:
      return connect_tcp(endpoint, token);
    case Endpoint::Kind::tls:
      return connect_tls(endpoint, token);
    case Endpoint::Kind::unix_socket:
      return connect_unix(endpoint, token);
  }
  return {nullptr, {false, "unknown endpoint kind"}};
}

}  // namespace agentctl
