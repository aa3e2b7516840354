// The connect-time address rules of http_get, as pure functions over addresses.
#include "agents/tools/address_guard.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>

namespace agents::tools {
namespace {

IpAddress ip(const char* text) {
  const auto parsed = parse_ip(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(IpAddress{});
}

std::string why(const char* text) {
  return special_purpose(ip(text)).value_or("public");
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(AddressGuard, ForbiddenIpv4RangesAreNamed) {
  EXPECT_TRUE(contains(why("127.0.0.1"), "loopback"));
  EXPECT_TRUE(contains(why("127.255.0.9"), "loopback"));
  EXPECT_TRUE(contains(why("10.1.2.3"), "private"));
  EXPECT_TRUE(contains(why("172.16.0.1"), "private"));
  EXPECT_TRUE(contains(why("172.31.255.255"), "private"));
  EXPECT_TRUE(contains(why("192.168.1.1"), "private"));
  EXPECT_TRUE(contains(why("169.254.169.254"), "cloud metadata"));
  EXPECT_TRUE(contains(why("169.254.3.4"), "link-local"));
  EXPECT_TRUE(contains(why("100.64.0.1"), "carrier-grade NAT"));
  EXPECT_TRUE(contains(why("100.100.100.200"), "carrier-grade NAT"));  // Alibaba metadata
  EXPECT_TRUE(contains(why("192.0.0.192"), "IETF"));                   // Oracle metadata
  EXPECT_TRUE(contains(why("0.0.0.0"), "unspecified"));
  EXPECT_TRUE(contains(why("224.0.0.1"), "multicast"));
  EXPECT_TRUE(contains(why("255.255.255.255"), "broadcast"));
}

TEST(AddressGuard, PublicIpv4NeighboursOfForbiddenRangesPass) {
  EXPECT_EQ(why("8.8.8.8"), "public");
  EXPECT_EQ(why("172.32.0.1"), "public");
  EXPECT_EQ(why("172.15.255.255"), "public");
  EXPECT_EQ(why("100.128.0.1"), "public");
  EXPECT_EQ(why("100.63.255.255"), "public");
  EXPECT_EQ(why("192.169.0.1"), "public");
  EXPECT_EQ(why("169.255.0.1"), "public");
  EXPECT_EQ(why("11.0.0.1"), "public");
}

TEST(AddressGuard, ForbiddenIpv6RangesAreNamed) {
  EXPECT_TRUE(contains(why("::1"), "loopback"));
  EXPECT_TRUE(contains(why("::"), "unspecified"));
  EXPECT_TRUE(contains(why("fe80::1"), "link-local"));
  EXPECT_TRUE(contains(why("fc00::1"), "unique-local"));
  EXPECT_TRUE(contains(why("fd12:3456::1"), "unique-local"));
  EXPECT_TRUE(contains(why("fd00:ec2::254"), "cloud metadata"));
  EXPECT_TRUE(contains(why("ff02::1"), "multicast"));
  EXPECT_TRUE(contains(why("fec0::1"), "site-local"));
  EXPECT_EQ(why("2606:4700:4700::1111"), "public");
  EXPECT_EQ(why("2a00:1450:4001::200e"), "public");
}

TEST(AddressGuard, Ipv6FormsCarryingForbiddenIpv4AreRefused) {
  // IPv4-mapped: the same address as the IPv4 one to every check.
  EXPECT_TRUE(contains(why("::ffff:127.0.0.1"), "loopback"));
  EXPECT_TRUE(contains(why("::ffff:169.254.169.254"), "cloud metadata"));
  EXPECT_TRUE(contains(why("::ffff:10.0.0.1"), "private"));
  // NAT64, IPv4-compatible, 6to4.
  EXPECT_TRUE(contains(why("64:ff9b::a9fe:a9fe"), "169.254.169.254"));
  EXPECT_TRUE(contains(why("::10.0.0.1"), "10.0.0.1"));
  EXPECT_TRUE(contains(why("2002:7f00:1::1"), "127.0.0.1"));
  // Carrying a public IPv4 address is fine.
  EXPECT_EQ(why("::ffff:8.8.8.8"), "public");
  EXPECT_EQ(why("64:ff9b::808:808"), "public");
}

TEST(AddressGuard, CidrParsingIsStrict) {
  EXPECT_TRUE(parse_cidr("10.0.0.0/8"));
  EXPECT_TRUE(parse_cidr("127.0.0.1/32"));
  EXPECT_TRUE(parse_cidr("fd00::/8"));
  EXPECT_TRUE(parse_cidr("::ffff:0:0/96"));
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "::1/129",
                          "10.0.0.0/8x", "example.com/8", "/8", "10.0.0.0/-1"}) {
    const auto parsed = parse_cidr(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_TRUE(contains(parsed.error().message, bad)) << parsed.error().message;
  }
}

TEST(AddressGuard, RangesContainWhatTheyShould) {
  const IpRange v4 = parse_cidr("10.1.0.0/16").value();
  EXPECT_TRUE(v4.contains(ip("10.1.255.3")));
  EXPECT_FALSE(v4.contains(ip("10.2.0.1")));
  EXPECT_TRUE(v4.contains(ip("::ffff:10.1.0.1")));
  const IpRange odd = parse_cidr("172.16.0.0/12").value();
  EXPECT_TRUE(odd.contains(ip("172.31.0.1")));
  EXPECT_FALSE(odd.contains(ip("172.32.0.1")));
  const IpRange v6 = parse_cidr("fd00::/8").value();
  EXPECT_TRUE(v6.contains(ip("fd12::1")));
  EXPECT_FALSE(v6.contains(ip("fc12::1")));
  EXPECT_FALSE(v6.contains(ip("10.0.0.1")));
}

sockaddr_in v4_socket_address(const char* text) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(80);
  inet_pton(AF_INET, text, &address.sin_addr);
  return address;
}

sockaddr_in6 v6_socket_address(const char* text) {
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_port = htons(80);
  inet_pton(AF_INET6, text, &address.sin6_addr);
  return address;
}

TEST(AddressGuard, GuardRefusesUnlessThePolicyListsTheRange) {
  const auto strict = AddressGuard::create({}).value();
  const auto loopback = v4_socket_address("127.0.0.1");
  const auto refusal = strict.check(reinterpret_cast<const sockaddr*>(&loopback), sizeof loopback);
  ASSERT_TRUE(refusal);
  EXPECT_TRUE(contains(*refusal, "127.0.0.1 is a loopback address"));
  EXPECT_TRUE(contains(*refusal, "allow_private_cidrs"));

  const auto lenient = AddressGuard::create({"127.0.0.1/32", "fd00::/8"}).value();
  EXPECT_FALSE(lenient.check(reinterpret_cast<const sockaddr*>(&loopback), sizeof loopback));
  const auto mapped = v6_socket_address("::ffff:127.0.0.1");
  EXPECT_FALSE(lenient.check(reinterpret_cast<const sockaddr*>(&mapped), sizeof mapped));
  const auto other_loopback = v4_socket_address("127.0.0.2");
  EXPECT_TRUE(
      lenient.check(reinterpret_cast<const sockaddr*>(&other_loopback), sizeof other_loopback));
  const auto metadata = v4_socket_address("169.254.169.254");
  EXPECT_TRUE(lenient.check(reinterpret_cast<const sockaddr*>(&metadata), sizeof metadata));
  const auto ula = v6_socket_address("fd00:ec2::254");
  EXPECT_FALSE(lenient.check(reinterpret_cast<const sockaddr*>(&ula), sizeof ula))
      << "listed explicitly by the policy, so allowed";

  const auto public_address = v4_socket_address("93.184.216.34");
  EXPECT_FALSE(
      strict.check(reinterpret_cast<const sockaddr*>(&public_address), sizeof public_address));
}

TEST(AddressGuard, MalformedInputIsRefused) {
  EXPECT_FALSE(AddressGuard::create({"not-a-cidr"}));
  const auto guard = AddressGuard::create({}).value();
  EXPECT_TRUE(guard.check(nullptr, 0));
  const auto address = v4_socket_address("8.8.8.8");
  EXPECT_TRUE(guard.check(reinterpret_cast<const sockaddr*>(&address), 4)) << "short length";
  sockaddr unix_address{};
  unix_address.sa_family = AF_UNIX;
  EXPECT_TRUE(guard.check(&unix_address, sizeof unix_address));
}

}  // namespace
}  // namespace agents::tools
