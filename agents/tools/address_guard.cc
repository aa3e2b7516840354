#include "agents/tools/address_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace agents::tools {
namespace {

struct SpecialRange {
  const char* cidr;
  const char* what;
};

// Ranges http_get never reaches unless a policy lists them. More specific entries come first
// so the message names the most telling one (metadata before link-local).
constexpr SpecialRange kSpecialRanges[] = {
    {"0.0.0.0/8", "an unspecified (\"this network\") address"},
    {"10.0.0.0/8", "a private address"},
    {"100.64.0.0/10", "a carrier-grade NAT (shared) address"},
    {"127.0.0.0/8", "a loopback address"},
    {"169.254.169.254/32", "a cloud metadata address"},
    {"169.254.0.0/16", "a link-local address"},
    {"172.16.0.0/12", "a private address"},
    {"192.0.0.0/24", "an IETF protocol address (cloud metadata lives here too)"},
    {"192.168.0.0/16", "a private address"},
    {"198.18.0.0/15", "a benchmarking-network address"},
    {"224.0.0.0/4", "a multicast address"},
    {"240.0.0.0/4", "a reserved or broadcast address"},
    {"::/128", "the unspecified address"},
    {"::1/128", "a loopback address"},
    {"64:ff9b:1::/48", "a local NAT64 address"},
    {"100::/64", "a discard-only address"},
    {"2001::/32", "a Teredo tunnel address"},
    {"fd00:ec2::254/128", "a cloud metadata address"},
    {"fc00::/7", "a unique-local (private) address"},
    {"fe80::/10", "a link-local address"},
    {"fec0::/10", "a site-local address"},
    {"ff00::/8", "a multicast address"},
};

// IPv6 forms whose last (or, for 6to4, bits 16..47) 32 bits are an IPv4 address that the
// network may route to: judged by that IPv4 address.
struct Embedding {
  const char* cidr;
  int v4_offset;  // byte offset of the IPv4 address inside the IPv6 one
};
constexpr Embedding kEmbeddings[] = {
    {"64:ff9b::/96", 12},  // NAT64 well-known prefix
    {"::/96", 12},         // IPv4-compatible (deprecated)
    {"2002::/16", 2},      // 6to4
};

// The tables parsed once; an entry that failed to parse would be a bug caught by any test.
template <class Entry, size_t N>
std::vector<IpRange> parse_table(const Entry (&table)[N]) {
  std::vector<IpRange> parsed;
  for (const auto& entry : table) parsed.push_back(parse_cidr(entry.cidr).value());
  return parsed;
}

const std::vector<IpRange>& special_ranges() {
  static const std::vector<IpRange> ranges = parse_table(kSpecialRanges);
  return ranges;
}

const std::vector<IpRange>& embedding_ranges() {
  static const std::vector<IpRange> ranges = parse_table(kEmbeddings);
  return ranges;
}

std::optional<std::string> direct_special(const IpAddress& address) {
  const auto& ranges = special_ranges();
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (ranges[i].contains(address)) {
      return std::string(kSpecialRanges[i].what) + " (" + kSpecialRanges[i].cidr + ")";
    }
  }
  return std::nullopt;
}

IpAddress v4_at(const IpAddress& address, int offset) {
  IpAddress v4;
  v4.bytes[10] = 0xff;
  v4.bytes[11] = 0xff;
  std::copy_n(address.bytes.begin() + offset, 4, v4.bytes.begin() + 12);
  return v4;
}

}  // namespace

bool IpAddress::is_v4() const {
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(bytes.data(), kMappedPrefix, sizeof kMappedPrefix) == 0;
}

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    inet_ntop(AF_INET, bytes.data() + 12, text, sizeof text);
  } else {
    inet_ntop(AF_INET6, bytes.data(), text, sizeof text);
  }
  return text;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string terminated(text);
  IpAddress address;
  if (inet_pton(AF_INET, terminated.c_str(), address.bytes.data() + 12) == 1) {
    address.bytes[10] = 0xff;
    address.bytes[11] = 0xff;
    return address;
  }
  if (inet_pton(AF_INET6, terminated.c_str(), address.bytes.data()) == 1) return address;
  return std::nullopt;
}

std::optional<IpAddress> from_sockaddr(const sockaddr* address, socklen_t length) {
  if (address == nullptr) return std::nullopt;
  IpAddress result;
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    result.bytes[10] = 0xff;
    result.bytes[11] = 0xff;
    std::memcpy(result.bytes.data() + 12, &v4->sin_addr, 4);
    return result;
  }
  if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    std::memcpy(result.bytes.data(), &v6->sin6_addr, 16);
    return result;
  }
  return std::nullopt;
}

bool IpRange::contains(const IpAddress& address) const {
  const unsigned whole_bytes = prefix / 8;
  if (!std::equal(base.bytes.begin(), base.bytes.begin() + whole_bytes, address.bytes.begin())) {
    return false;
  }
  const unsigned rest_bits = prefix % 8;
  if (rest_bits == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest_bits));
  return (base.bytes[whole_bytes] & mask) == (address.bytes[whole_bytes] & mask);
}

base::Expected<IpRange> parse_cidr(std::string_view text) {
  const auto expected = [&](const char* what) {
    return base::Error{"\"" + std::string(text) + "\" is not an address range like " +
                       "\"10.0.0.0/8\" or \"fd00::/8\": " + what};
  };
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return expected("no /prefix length");
  const auto address = parse_ip(text.substr(0, slash));
  if (!address) return expected("not an IPv4 or IPv6 address before the /");
  const std::string_view length_text = text.substr(slash + 1);
  unsigned length = 0;
  const auto [end, error] =
      std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
  // The family is the text's, not the stored form's: "::ffff:0:0/96" is an IPv6 range.
  const bool written_as_v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  const unsigned max_length = written_as_v4 ? 32 : 128;
  if (length_text.empty() || error != std::errc{} ||
      end != length_text.data() + length_text.size() || length > max_length) {
    return expected(written_as_v4 ? "prefix length must be 0..32" : "prefix length must be 0..128");
  }
  return IpRange{*address, written_as_v4 ? length + 96 : length};
}

std::optional<std::string> special_purpose(const IpAddress& address) {
  if (auto why = direct_special(address)) return why;
  if (address.is_v4()) return std::nullopt;
  const auto& ranges = embedding_ranges();
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (!ranges[i].contains(address)) continue;
    const IpAddress carried = v4_at(address, kEmbeddings[i].v4_offset);
    if (auto why = direct_special(carried)) {
      return "an IPv6 form of " + carried.to_string() + ", " + *why;
    }
  }
  return std::nullopt;
}

base::Expected<AddressGuard> AddressGuard::create(const std::vector<std::string>& allow_cidrs) {
  AddressGuard guard;
  for (const auto& cidr : allow_cidrs) {
    auto range = parse_cidr(cidr);
    if (!range) return base::Error{"allow_private_cidrs: " + range.error().message};
    guard.allowed_.push_back(*range);
  }
  return guard;
}

std::optional<std::string> AddressGuard::check(const sockaddr* address, socklen_t length) const {
  const auto ip = from_sockaddr(address, length);
  if (!ip) return "not an IPv4 or IPv6 address";
  const auto why = special_purpose(*ip);
  if (!why) return std::nullopt;
  if (std::any_of(allowed_.begin(), allowed_.end(),
                  [&](const IpRange& range) { return range.contains(*ip); })) {
    return std::nullopt;
  }
  return ip->to_string() + " is " + *why + ", not listed in the policy's allow_private_cidrs";
}

}  // namespace agents::tools
