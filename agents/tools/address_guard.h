// Which IP addresses http_get may connect to: public unicast only, unless the policy lists a
// range in allow_private_cidrs. Checked on the address libcurl is about to connect to (not on
// a name), so neither DNS rebinding nor a redirect can reach loopback, private networks,
// link-local or cloud metadata services.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace agents::tools {

// IPv4 is held in its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so "::ffff:127.0.0.1" and
// "127.0.0.1" are the same address to every check.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  bool is_v4() const;
  std::string to_string() const;
};

std::optional<IpAddress> parse_ip(std::string_view text);
std::optional<IpAddress> from_sockaddr(const sockaddr* address, socklen_t length);

struct IpRange {
  IpAddress base;
  unsigned prefix = 0;  // in bits of the 16-byte form (an IPv4 /8 is 104 here)
  bool contains(const IpAddress& address) const;
};

// "10.0.0.0/8", "127.0.0.1/32", "fd00::/8"; the error names the text and what was expected.
base::Expected<IpRange> parse_cidr(std::string_view text);

// Why `address` is not a public unicast address ("a loopback address (127.0.0.0/8)"), or
// nullopt. IPv6 forms that carry an IPv4 address (NAT64, 6to4, IPv4-compatible) are judged
// by the address they carry.
std::optional<std::string> special_purpose(const IpAddress& address);

class AddressGuard {
 public:
  static base::Expected<AddressGuard> create(const std::vector<std::string>& allow_cidrs);
  // nullopt when connecting to `address` is allowed; otherwise why not, worded for the model.
  std::optional<std::string> check(const sockaddr* address, socklen_t length) const;

 private:
  std::vector<IpRange> allowed_;
};

}  // namespace agents::tools
