// The HTTP side of a connection: GET /healthz, GET /metrics (keep-alive), and the WebSocket
// upgrade at /v1/ws, authenticated before it happens (a bearer token in Authorization, or
// in Sec-WebSocket-Protocol as agentd.bearer.TOKEN for browsers): an unknown token gets 401,
// a tenant at its connection limit 429, a draining server 503. Only listener.cc includes this.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "daemon/gateway.h"
#include "daemon/streams.h"
#include "daemon/ws_session.h"

namespace agentd {

template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  HttpSession(Stream&& stream, Gateway& gateway, std::string transport)
      : stream_(std::move(stream)), gateway_(gateway), transport_(std::move(transport)) {}

  void run() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      boost::beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
      stream_.async_handshake(boost::asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](boost::beast::error_code error) {
                                if (!error) self->do_read();
                              });
    } else {
      do_read();
    }
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(std::uint64_t{64} * 1024);
    boost::beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    boost::beast::http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](boost::beast::error_code error, std::size_t) {
          self->on_read(error);
        });
  }

  void on_read(boost::beast::error_code error) {
    if (error == boost::beast::http::error::end_of_stream) return shutdown();
    if (error) return;  // timeout, reset or a malformed request: drop the connection
    Request request = parser_->release();
    if (boost::beast::websocket::is_upgrade(request)) return upgrade(std::move(request));
    respond(route(request), request.keep_alive());
  }

  static std::string path_of(const Request& request) {
    std::string target(request.target());
    return target.substr(0, target.find('?'));
  }

  Response reply(const Request& request, boost::beast::http::status status, std::string body,
                 const char* type = "application/json") {
    Response response{status, request.version()};
    response.set(boost::beast::http::field::server, "agentd");
    response.set(boost::beast::http::field::content_type, type);
    response.body() = std::move(body);
    return response;
  }

  Response route(const Request& request) {
    namespace http = boost::beast::http;
    const std::string path = path_of(request);
    const bool known = path == "/healthz" || path == "/metrics" || path == "/v1/ws";
    if (!known) return reply(request, http::status::not_found, R"({"error":"not found"})");
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      Response response =
          reply(request, http::status::method_not_allowed, R"({"error":"method not allowed"})");
      response.set(http::field::allow, "GET, HEAD");
      return response;
    }
    if (path == "/healthz")
      return gateway_.draining()
                 ? reply(request, http::status::service_unavailable, R"({"status":"draining"})")
                 : reply(request, http::status::ok, R"({"status":"ok"})");
    if (path == "/metrics")
      return reply(request, http::status::ok, gateway_.metrics_text(),
                   "text/plain; version=0.0.4; charset=utf-8");
    Response response = reply(request, http::status::upgrade_required,
                              R"({"error":"/v1/ws is a WebSocket endpoint"})");
    response.set(http::field::upgrade, "websocket");
    return response;
  }

  void refuse_upgrade(const Request& request, boost::beast::http::status status, const char* reason,
                      std::string body) {
    gateway_.metrics().connections_refused.add(1, {{"reason", reason}});
    Response response = reply(request, status, std::move(body));
    if (status == boost::beast::http::status::unauthorized)
      response.set(boost::beast::http::field::www_authenticate, "Bearer realm=\"agentd\"");
    respond(std::move(response), false);
  }

  void upgrade(Request request) {
    namespace http = boost::beast::http;
    if (path_of(request) != "/v1/ws")
      return respond(reply(request, http::status::not_found, R"({"error":"not found"})"), false);
    if (gateway_.draining())
      return refuse_upgrade(
          request, http::status::service_unavailable, "draining",
          R"({"error":"the server is draining (shutting down); connect again later"})");
    const std::string protocols(request[http::field::sec_websocket_protocol]);
    std::optional<std::string> token = bearer_token(request[http::field::authorization]);
    if (!token) token = subprotocol_token(protocols);
    auto tenant = token ? gateway_.authenticate(*token) : nullptr;
    if (!tenant)
      return refuse_upgrade(request, http::status::unauthorized, "unauthorized",
                            R"({"error":"unauthorized: a valid bearer token is required"})");
    if (!gateway_.acquire_connection(tenant->name))
      return refuse_upgrade(request, http::status::too_many_requests, "tenant_connections",
                            R"({"error":"too many connections for this tenant"})");
    // Echo agentd.v1 when offered (a browser fails a connection whose echo it did not offer).
    const bool offered = protocols.find("agentd.v1") != std::string::npos;
    auto session =
        std::make_shared<WsSession<Stream>>(std::move(stream_), gateway_, tenant->name, transport_);
    session->run(std::move(request), offered ? "agentd.v1" : "");
  }

  void respond(Response response, bool keep_alive) {
    keep_alive = keep_alive && !gateway_.draining();
    response.keep_alive(keep_alive);
    response.prepare_payload();
    response_ = std::make_shared<Response>(std::move(response));
    boost::beast::http::async_write(
        stream_, *response_,
        [self = this->shared_from_this(), keep_alive](boost::beast::error_code error, std::size_t) {
          self->response_.reset();
          if (error) return;
          if (keep_alive)
            self->do_read();
          else
            self->shutdown();
        });
  }

  void shutdown() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      boost::beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](boost::beast::error_code) {});
    } else {
      boost::beast::error_code ignored;
      stream_.socket().shutdown(boost::asio::socket_base::shutdown_send, ignored);
    }
  }

  Stream stream_;
  Gateway& gateway_;
  std::string transport_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<Response> response_;
};

}  // namespace agentd
