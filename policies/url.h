// URLs, host patterns and address ranges for http_get. The tool layer checks a URL's scheme
// and host here before any request; the http_get tool checks again after every redirect and
// checks resolved addresses against the CIDRs. Parsing is strict on purpose: anything a
// different URL parser (libcurl's) might read differently is refused, not guessed at.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace policies {

struct HttpUrl {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // lower case, no trailing dot; IPv6 literals without brackets
  uint16_t port = 0;   // 80/443 when the URL names none
};

// Parses an absolute http(s) URL; on failure `problem` says why ("credentials in URLs are not
// allowed").
std::optional<HttpUrl> parse_http_url(std::string_view url, std::string* problem);

// Why `pattern` is not a host pattern, or nullopt. Patterns: "example.com", "*.example.com"
// (any subdomain, not the name itself; at least two labels after "*."), a dotted IPv4 address
// or an IPv6 address in brackets ("[::1]").
std::optional<std::string> host_pattern_problem(std::string_view pattern);

// Whether a host from parse_http_url matches a valid pattern.
bool host_matches(std::string_view pattern, std::string_view host);

// Whether every host `pattern` matches is also matched by `ceiling` (for the server's caps).
bool pattern_within(std::string_view pattern, std::string_view ceiling);

// Why `cidr` is not an address range like "10.0.0.0/8" or "fd00::/8", or nullopt.
std::optional<std::string> cidr_problem(std::string_view cidr);

// Whether the numeric address `address` ("127.0.0.1", "::1") lies in a valid `cidr`.
bool cidr_contains(std::string_view cidr, std::string_view address);

}  // namespace policies
