#include "policies/url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <vector>

#include "base/strings.h"

namespace policies {
namespace {

bool is_ipv4(const std::string& text) {
  in_addr address{};
  return inet_pton(AF_INET, text.c_str(), &address) == 1;
}

bool is_ipv6(const std::string& text) {
  in6_addr address{};
  return inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

// Labels of letters, digits, '-' and '_' (1..63 bytes each), not starting or ending with '-'.
bool valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = std::min(name.find('.', start), name.size());
    std::string_view label = name.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    }
    start = dot + 1;
  }
  return true;
}

// A name whose last label is all digits, or that inet_aton reads as an address ("0x7f.1",
// "2130706433") without being a plain dotted quad, is something resolvers may turn into an
// address we never checked.
bool ambiguous_numeric(const std::string& host) {
  std::string_view last(host);
  last = last.substr(last.rfind('.') == std::string_view::npos ? 0 : last.rfind('.') + 1);
  bool all_digits = !last.empty() && std::all_of(last.begin(), last.end(),
                                                 [](unsigned char c) { return std::isdigit(c); });
  in_addr address{};
  bool aton = inet_aton(host.c_str(), &address) != 0;
  return (all_digits || aton) && !is_ipv4(host);
}

std::optional<std::string> host_problem(const std::string& host) {
  if (is_ipv4(host)) return std::nullopt;
  if (ambiguous_numeric(host)) return "numeric host \"" + host + "\" is ambiguous";
  if (!valid_dns_name(host)) return "host \"" + host + "\" is not a valid name";
  return std::nullopt;
}

struct Cidr {
  int family = 0;
  std::array<unsigned char, 16> bytes{};
  int prefix = 0;
};

std::optional<Cidr> parse_cidr(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string address(text.substr(0, slash));
  std::string_view prefix_text = text.substr(slash + 1);
  Cidr cidr;
  auto [end, error] =
      std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), cidr.prefix);
  if (error != std::errc{} || end != prefix_text.data() + prefix_text.size() || prefix_text.empty())
    return std::nullopt;
  cidr.family = address.find(':') == std::string::npos ? AF_INET : AF_INET6;
  if (inet_pton(cidr.family, address.c_str(), cidr.bytes.data()) != 1) return std::nullopt;
  int max_prefix = cidr.family == AF_INET ? 32 : 128;
  if (cidr.prefix < 0 || cidr.prefix > max_prefix) return std::nullopt;
  return cidr;
}

// Host and optional port text from "host:port", "[v6]:port" or "host"; an error otherwise.
std::optional<std::string> split_authority(std::string_view authority, std::string& host,
                                           std::optional<std::string_view>& port_text) {
  if (authority.find('@') != std::string_view::npos) return "credentials in URLs are not allowed";
  std::string_view after;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return "unterminated IPv6 address in URL";
    host = base::lower(authority.substr(1, close - 1));
    if (!is_ipv6(host)) return "\"" + host + "\" is not an IPv6 address";
    after = authority.substr(close + 1);
  } else {
    size_t colon = std::min(authority.find(':'), authority.size());
    host = base::lower(authority.substr(0, colon));
    after = authority.substr(colon);
    if (!host.empty() && host.back() == '.') host.pop_back();
    if (host.empty()) return "URL has no host";
    if (auto why = host_problem(host)) return why;
  }
  if (!after.empty() && after.front() != ':') return "unexpected text after the host";
  if (!after.empty()) port_text = after.substr(1);
  return std::nullopt;
}

std::optional<uint16_t> parse_port(std::string_view text) {
  unsigned port = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (error != std::errc{} || end != text.data() + text.size() || port == 0 || port > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(port);
}

}  // namespace

std::optional<HttpUrl> parse_http_url(std::string_view url, std::string* problem) {
  auto fail = [&](std::string why) -> std::optional<HttpUrl> {
    if (problem != nullptr) *problem = std::move(why);
    return std::nullopt;
  };
  if (url.size() > 8192) return fail("URL longer than 8192 bytes");
  for (char c : url) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || c == '\\')
      return fail("URL has a space, control, non-ASCII or backslash character; percent-encode it");
  }
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return fail("expected an absolute http(s):// URL");
  HttpUrl parsed;
  parsed.scheme = base::lower(url.substr(0, scheme_end));
  if (parsed.scheme != "http" && parsed.scheme != "https")
    return fail("scheme \"" + parsed.scheme + "\" is not allowed; expected http or https");
  std::string_view rest = url.substr(scheme_end + 3);
  std::optional<std::string_view> port_text;
  if (auto why = split_authority(rest.substr(0, rest.find_first_of("/?#")), parsed.host, port_text))
    return fail(*why);
  parsed.port = parsed.scheme == "https" ? 443 : 80;
  if (port_text) {
    std::optional<uint16_t> port = parse_port(*port_text);
    if (!port)
      return fail("port \"" + std::string(*port_text) + "\" is not a number from 1 to 65535");
    parsed.port = *port;
  }
  return parsed;
}

std::optional<std::string> host_pattern_problem(std::string_view pattern) {
  const std::string expected =
      "expected a host like \"example.com\", \"*.example.com\", \"192.0.2.1\" or \"[2001:db8::1]\"";
  std::string text = base::lower(pattern);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    if (is_ipv6(text.substr(1, text.size() - 2))) return std::nullopt;
    return expected + ", got an invalid IPv6 address";
  }
  bool wildcard = text.rfind("*.", 0) == 0;
  std::string name = wildcard ? text.substr(2) : text;
  if (wildcard && (name.find('.') == std::string::npos || is_ipv4(name)))
    return expected + "; a wildcard needs a name of at least two labels after \"*.\"";
  if (auto why = host_problem(name)) return expected + "; " + *why;
  return std::nullopt;
}

bool host_matches(std::string_view pattern, std::string_view host) {
  std::string wanted = base::lower(pattern);
  if (wanted.size() > 2 && wanted.front() == '[') wanted = wanted.substr(1, wanted.size() - 2);
  if (wanted.rfind("*.", 0) != 0) return wanted == host;
  std::string_view suffix = std::string_view(wanted).substr(1);  // ".example.com"
  return host.size() > suffix.size() && host.substr(host.size() - suffix.size()) == suffix;
}

bool pattern_within(std::string_view pattern, std::string_view ceiling) {
  std::string inner = base::lower(pattern);
  std::string outer = base::lower(ceiling);
  if (outer.rfind("*.", 0) != 0) return inner == outer;
  std::string_view suffix = std::string_view(outer).substr(1);  // ".example.com"
  std::string_view covered =
      inner.rfind("*.", 0) == 0 ? std::string_view(inner).substr(1) : std::string_view(inner);
  return covered.size() >= suffix.size() &&
         covered.substr(covered.size() - suffix.size()) == suffix;
}

std::optional<std::string> cidr_problem(std::string_view cidr) {
  if (parse_cidr(cidr)) return std::nullopt;
  return "expected an address range like \"10.0.0.0/8\" or \"fd00::/8\"";
}

bool cidr_contains(std::string_view cidr, std::string_view address) {
  std::optional<Cidr> range = parse_cidr(cidr);
  if (!range) return false;
  std::array<unsigned char, 16> bytes{};
  std::string text(address);
  if (inet_pton(range->family, text.c_str(), bytes.data()) != 1) return false;
  int full_bytes = range->prefix / 8;
  int rest_bits = range->prefix % 8;
  if (!std::equal(bytes.begin(), bytes.begin() + full_bytes, range->bytes.begin())) return false;
  if (rest_bits == 0) return true;
  auto mask = static_cast<unsigned char>(0xFF << (8 - rest_bits));
  return (bytes[full_bytes] & mask) == (range->bytes[full_bytes] & mask);
}

}  // namespace policies
