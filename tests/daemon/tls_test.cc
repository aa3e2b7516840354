// wss://: with a certificate configured the TCP port speaks TLS only, and the protocol over it
// is the same.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cstdlib>

#include "tests/daemon/test_daemon.h"

namespace agentd {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace websocket = boost::beast::websocket;
using nlohmann::json;

TEST(Tls, WssServesTheProtocolAndPlainConnectionsGetNothing) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "the openssl command is missing: it makes the test's certificate";
  testing::TempDir dir;
  const std::string cert = dir.path() + "/cert.pem";
  const std::string key = dir.path() + "/key.pem";
  const std::string make =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(make.c_str()), 0) << make;
  testing::TestDaemon daemon(dir.path(), [&](Config& config) {
    config.tls.cert = cert;
    config.tls.key = key;
  });
  ASSERT_TRUE(daemon.started()) << daemon.started().error().message;

  asio::io_context io;
  ssl::context context(ssl::context::tls_client);
  context.load_verify_file(cert);
  context.set_verify_mode(ssl::verify_peer);
  websocket::stream<ssl::stream<asio::ip::tcp::socket>> ws(io, context);
  ws.next_layer().set_verify_callback(ssl::host_name_verification("localhost"));
  SSL_set_tlsext_host_name(ws.next_layer().native_handle(), "localhost");
  ws.next_layer().next_layer().connect({asio::ip::make_address("127.0.0.1"), daemon.tcp().port});
  ws.next_layer().handshake(ssl::stream_base::client);
  ws.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
    request.set(boost::beast::http::field::authorization, "Bearer alice-token");
  }));
  ws.handshake("localhost", "/v1/ws");
  ws.write(asio::buffer(std::string(R"({"jsonrpc":"2.0","id":1,"method":"server.info"})")));
  boost::beast::flat_buffer buffer;
  ws.read(buffer);
  json reply = json::parse(boost::beast::buffers_to_string(buffer.data()));
  EXPECT_EQ(reply["result"]["tenant"], "alice") << reply.dump();
  EXPECT_EQ(daemon.metric("agentd_connections", "{transport=\"tls\"}"), 1);

  // Plain HTTP on the TLS port is not answered as HTTP.
  auto plain = testing::http_request(daemon.tcp(), "/healthz");
  EXPECT_FALSE(plain) << "got HTTP " << plain->status;
}

}  // namespace
}  // namespace agentd
