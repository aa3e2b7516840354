#include "agents/tools/http_get.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "agents/http/curl_handles.h"
#include "agents/tools/address_guard.h"
#include "agents/tools/host_allowlist.h"

namespace agents::tools {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using Outcome = HttpGetResult::Outcome;

constexpr size_t kMaxUrlLength = 8192;

HttpGetResult ended(Outcome outcome, const std::string& message) {
  static constexpr const char* kPrefix[] = {
      "", "http_get refused: ", "http_get failed: ", "http_get cancelled: "};
  HttpGetResult result;
  result.outcome = outcome;
  result.message = kPrefix[static_cast<int>(outcome)] + message;
  return result;
}

// A hop's URL as libcurl itself parses it: the host checked is the host it will connect to,
// so no difference between two URL parsers can be exploited.
struct Hop {
  std::string url;   // libcurl's normalised form, the one requested
  std::string host;  // lower case as given; IPv6 in brackets
};

std::string url_part(CURLU* url, CURLUPart part) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, 0) != CURLUE_OK || text == nullptr) return {};
  std::string copy(text);
  curl_free(text);
  return copy;
}

base::Expected<Hop> inspect(const std::string& url) {
  const std::string quoted = "\"" + url.substr(0, 200) + (url.size() > 200 ? "…\"" : "\"");
  if (url.size() > kMaxUrlLength) {
    return base::Error{"URL longer than " + std::to_string(kMaxUrlLength) + " characters"};
  }
  if (url.find('\0') != std::string::npos) return base::Error{quoted + " contains a NUL byte"};
  http::UrlHandle parsed(curl_url());
  if (!parsed) return base::Error{"curl_url failed (out of memory)"};
  if (const CURLUcode code = curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0)) {
    return base::Error{quoted + " is not a valid absolute URL (" + curl_url_strerror(code) + ")"};
  }
  const std::string scheme = url_part(parsed.get(), CURLUPART_SCHEME);
  if (scheme != "http" && scheme != "https") {
    return base::Error{quoted + ": only http and https URLs are allowed"};
  }
  Hop hop{url_part(parsed.get(), CURLUPART_URL), url_part(parsed.get(), CURLUPART_HOST)};
  if (hop.host.empty()) return base::Error{quoted + " names no host"};
  if (std::any_of(hop.host.begin(), hop.host.end(), [](char c) { return c & 0x80; })) {
    return base::Error{quoted + ": write international host names in punycode (xn--…)"};
  }
  return hop;
}

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// As browsers do: 303 turns any method but HEAD into GET, 301/302 turn POST into GET.
std::string method_after_redirect(long status, const std::string& method) {
  if (status == 303 && method != "HEAD") return "GET";
  if ((status == 301 || status == 302) && method == "POST") return "GET";
  return method;
}

std::optional<std::string> method_refusal(const policies::HttpGetScope& scope,
                                          const std::string& method) {
  if (std::find(scope.methods.begin(), scope.methods.end(), method) != scope.methods.end()) {
    return std::nullopt;
  }
  return "method " + method + " is not allowed; allowed: " + format_allowlist(scope.methods);
}

http::Request hop_request(const Hop& hop, const std::string& method, milliseconds remaining,
                          const policies::HttpGetScope& scope, const HttpGetOptions& options) {
  http::Request request;
  request.method = method;
  request.url = hop.url;
  request.headers = {"User-Agent: " + options.user_agent, "Accept: */*"};
  request.timeout = remaining;
  request.max_response_bytes = scope.max_response_bytes;
  request.resolve = options.resolve;
  request.fresh_connection = true;  // a reused connection would skip the address check
  return request;
}

// Shared with the connect filter, which libcurl may call while this coroutine is suspended.
struct ConnectCheck {
  AddressGuard guard;
  std::string host;
  std::optional<std::string> refusal;  // the first address refused
};

std::function<std::optional<std::string>(const sockaddr*, socklen_t)> connect_filter(
    std::shared_ptr<ConnectCheck> check) {
  return [check = std::move(check)](const sockaddr* address, socklen_t length) {
    auto why = check->guard.check(address, length);
    if (why) {
      *why = "connecting to " + check->host + ": " + *why;
      if (!check->refusal) check->refusal = *why;
    }
    return why;
  };
}

HttpGetResult fetched(http::Response response) {
  HttpGetResult result;
  result.outcome = Outcome::fetched;
  result.status = response.status;
  result.content_type = std::move(response.content_type);
  result.body = std::move(response.body);
  result.truncated = response.truncated;
  result.final_url = std::move(response.effective_url);
  return result;
}

// What one finished hop means: the final result, or nullopt to follow its redirect.
std::optional<HttpGetResult> judge(http::Response& response, const ConnectCheck& check,
                                   const std::string& request_line, const std::string& time_limit) {
  // No response and an address refused: that is why. (With no response, a refusal of one
  // address may precede a successful connection to another address of the same name.)
  if (response.status == 0 && check.refusal) return ended(Outcome::refused, *check.refusal);
  if (response.curl_code == CURLE_OPERATION_TIMEDOUT) {
    return ended(Outcome::failed, request_line + " timed out after " + time_limit);
  }
  if (!response.ok() && !response.truncated) {
    return ended(Outcome::failed, request_line + ": " + response.error);
  }
  if (!is_redirect(response.status) || response.redirect_url.empty()) {
    return fetched(std::move(response));
  }
  return std::nullopt;
}

}  // namespace

asio::awaitable<HttpGetResult> http_get(http::Client& client, policies::HttpGetScope scope,
                                        std::string url, std::string method,
                                        HttpGetOptions options) {
  if (!scope.allowed) co_return ended(Outcome::refused, "this policy does not allow http_get");
  if (auto refusal = method_refusal(scope, method)) co_return ended(Outcome::refused, *refusal);
  auto guard = AddressGuard::create(scope.allow_private_cidrs);
  if (!guard) co_return ended(Outcome::failed, "bad policy: " + guard.error().message);
  const auto deadline = Clock::now() + scope.timeout;
  const std::string time_limit = std::to_string(scope.timeout.count()) + " ms";

  for (int redirects = 0;; ++redirects) {
    auto hop = inspect(url);
    if (!hop) co_return ended(Outcome::refused, hop.error().message);
    if (!host_allowed(scope.allow_hosts, hop->host)) {
      co_return ended(Outcome::refused, hop->host + " is not in the allowlist " +
                                            format_allowlist(scope.allow_hosts));
    }
    const auto remaining = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (remaining.count() <= 0) co_return ended(Outcome::failed, "timed out after " + time_limit);

    auto check = std::make_shared<ConnectCheck>(ConnectCheck{*guard, hop->host, std::nullopt});
    http::Request request = hop_request(*hop, method, remaining, scope, options);
    request.connect_filter = connect_filter(check);
    auto [ec, response] =
        co_await client.async_request(std::move(request), asio::as_tuple(asio::use_awaitable));
    const std::string request_line = method + " " + hop->url;
    if (ec == asio::error::operation_aborted) co_return ended(Outcome::cancelled, request_line);
    if (auto result = judge(response, *check, request_line, time_limit))
      co_return std::move(*result);

    if (redirects >= options.max_redirects) {
      co_return ended(Outcome::failed, "too many redirects (more than " +
                                           std::to_string(options.max_redirects) + ")");
    }
    method = method_after_redirect(response.status, method);
    if (auto refusal = method_refusal(scope, method)) co_return ended(Outcome::refused, *refusal);
    url = response.redirect_url;
  }
}

}  // namespace agents::tools
