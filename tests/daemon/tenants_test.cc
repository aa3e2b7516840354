// Tenants: hashed tokens, constant-time lookup, header parsing, policy lists.
#include "daemon/tenants.h"

#include <gtest/gtest.h>

namespace agentd {
namespace {

TEST(Tenants, TokenHashIsSha256Hex) {
  // FIPS 180-2's test vector.
  EXPECT_EQ(token_sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

std::vector<TenantConfig> two_tenants() {
  auto hash = [](std::string_view token) {
    TokenHash out{};
    const std::string hex = token_sha256_hex(token);
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
    return out;
  };
  return {TenantConfig{"alice", {hash("a1"), hash("a2")}, {"coder"}, {}},
          TenantConfig{"bob", {hash("b1")}, {"*"}, {}}};
}

TEST(Tenants, AuthenticatesEveryTokenOfATenantAndNothingElse) {
  TenantDirectory directory(two_tenants());
  EXPECT_EQ(directory.authenticate("a1")->name, "alice");
  EXPECT_EQ(directory.authenticate("a2")->name, "alice");
  EXPECT_EQ(directory.authenticate("b1")->name, "bob");
  EXPECT_EQ(directory.authenticate("a3"), nullptr);
  EXPECT_EQ(directory.authenticate(""), nullptr);
  EXPECT_EQ(directory.authenticate(token_sha256_hex("a1")), nullptr);  // the hash is no token
  EXPECT_EQ(directory.find("bob")->name, "bob");
  EXPECT_EQ(directory.find("carol"), nullptr);
}

TEST(Tenants, PolicyLists) {
  TenantDirectory directory(two_tenants());
  EXPECT_TRUE(directory.find("alice")->allows_policy("coder"));
  EXPECT_FALSE(directory.find("alice")->allows_policy("tester"));
  EXPECT_TRUE(directory.find("bob")->allows_policy("anything"));
}

TEST(Tenants, BearerHeaders) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer   abc  "), "abc");
  EXPECT_EQ(bearer_token("Basic abc"), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer "), std::nullopt);
  EXPECT_EQ(bearer_token(""), std::nullopt);
  EXPECT_EQ(subprotocol_token("agentd.v1, agentd.bearer.tok-1"), "tok-1");
  EXPECT_EQ(subprotocol_token("agentd.bearer.x"), "x");
  EXPECT_EQ(subprotocol_token("agentd.v1"), std::nullopt);
  EXPECT_EQ(subprotocol_token("agentd.bearer."), std::nullopt);
}

}  // namespace
}  // namespace agentd
