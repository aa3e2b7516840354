// The http_get tool: fetches a URL for an agent, in the daemon, under its policy's
// HttpGetScope. Redirects are followed here, one hop at a time, each hop's scheme, host and
// method checked before it is requested; every connection's address is checked at connect
// time (private, loopback, link-local, metadata refused unless allow_private_cidrs lists
// them); size and total time are capped. The caller checks ToolScope::check_http_get first.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "agents/http/curl_multi.h"
#include "policies/tool_scope.h"

namespace agents::tools {

struct HttpGetOptions {
  // libcurl RESOLVE pins for every hop ("host:port:address"): an operator's overrides, or a
  // test's stand-in for DNS. Pinned addresses pass the connect-time check like DNS answers.
  std::vector<std::string> resolve;
  int max_redirects = 5;
  std::string user_agent = "agentd-http_get/0.1";
};

struct HttpGetResult {
  enum class Outcome {
    fetched,    // a response arrived (any status); `body` may be truncated
    refused,    // the policy forbids it: nothing was sent to the refused host or address
    failed,     // network error, timeout, too many redirects
    cancelled,  // the operation was cancelled (task cancelled, budget ended)
  };
  Outcome outcome = Outcome::failed;
  long status = 0;
  std::string content_type;
  std::string body;
  bool truncated = false;  // the body passed scope.max_response_bytes and was cut there
  std::string final_url;   // after redirects
  std::string message;     // refused / failed / cancelled: what to tell the model
};

// Runs on `client`'s executor; cancellable through the awaiting coroutine's cancellation slot.
boost::asio::awaitable<HttpGetResult> http_get(http::Client& client, policies::HttpGetScope scope,
                                               std::string url, std::string method = "GET",
                                               HttpGetOptions options = {});

}  // namespace agents::tools
