// One HTTP exchange as plain data: what agents::http::Client is asked to do and what it
// reports back. Shared by the LLM client (streaming, SSE) and the http_get tool (address
// checks at connect time, size caps).
#pragma once

#include <curl/curl.h>
#include <sys/socket.h>

#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agents::http {

struct Request {
  std::string method = "GET";  // GET, HEAD, POST or any other token (sent as a custom method)
  std::string url;
  std::vector<std::string> headers;           // "Name: value"
  std::string body;                           // sent when non-empty (or when the method is POST)
  std::chrono::milliseconds timeout{30'000};  // whole exchange, connect included
  uint64_t max_response_bytes = 16ull << 20;  // the body is cut here and the transfer aborted
  // Schemes libcurl may use ("http,https"); anything else fails before any connection.
  std::string protocols = "http,https";
  // Proxy URL; empty means no proxy, and the http_proxy/https_proxy environment is ignored
  // (a proxy would hide the real peer from `connect_filter`).
  std::string proxy;
  // CURLOPT_RESOLVE entries ("host:port:address"): pin names to addresses. Note that libcurl
  // keeps them in the multi handle's DNS cache, shared with later requests of the Client.
  std::vector<std::string> resolve;
  // Open a new connection and close it afterwards, so `connect_filter` sees every peer this
  // request talks to (a reused connection would skip it).
  bool fresh_connection = false;

  // Body chunks as they arrive (server-sent events). When set, `Response::body` stays empty;
  // return false to stop the transfer. Runs inside libcurl: it may start or cancel requests
  // (the Client defers those) but must not destroy the Client.
  std::function<bool(std::string_view chunk)> on_body_chunk;
  // Asked before each socket is created, with the address libcurl is about to connect to:
  // a refusal reason stops that connection before it exists (SSRF and DNS rebinding guard).
  std::function<std::optional<std::string>(const sockaddr* address, socklen_t length)>
      connect_filter;
};

struct Response {
  long status = 0;  // HTTP status of the last response received; 0 when none arrived
  std::vector<std::pair<std::string, std::string>> headers;  // of the last response
  std::string content_type;
  std::string body;
  bool truncated = false;     // the body passed max_response_bytes and was cut there
  std::string effective_url;  // the URL finally requested
  std::string redirect_url;   // absolute Location of a 3xx response (never followed here)
  std::string primary_ip;     // the peer's address, when a connection was made
  CURLcode curl_code = CURLE_OK;
  std::string error;  // empty on success: what failed, for logs and for the model

  // Complete transfer with a status line (whatever the status).
  bool ok() const { return curl_code == CURLE_OK && status != 0; }
  // First header with this name (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
};

// How a request completes: an empty error_code once libcurl has finished (its verdict is
// in Response::curl_code), operation_aborted when the request was cancelled or the Client
// was destroyed first.
using ResponseSignature = void(boost::system::error_code, Response);

}  // namespace agents::http
