// http_get's own host allowlist check.
#include "agents/tools/host_allowlist.h"

#include <gtest/gtest.h>

namespace agents::tools {
namespace {

TEST(HostAllowlist, ExactNamesMatchCaseInsensitivelyAndIgnoreOneTrailingDot) {
  const std::vector<std::string> list = {"example.com"};
  EXPECT_TRUE(host_allowed(list, "example.com"));
  EXPECT_TRUE(host_allowed(list, "EXAMPLE.com"));
  EXPECT_TRUE(host_allowed(list, "example.com."));
  EXPECT_FALSE(host_allowed(list, "www.example.com"));
  EXPECT_FALSE(host_allowed(list, "example.com.evil.org"));
  EXPECT_FALSE(host_allowed(list, "notexample.com"));
  EXPECT_FALSE(host_allowed(list, ""));
}

TEST(HostAllowlist, WildcardsMatchSubdomainsButNotTheNameItself) {
  const std::vector<std::string> list = {"*.b.org"};
  EXPECT_TRUE(host_allowed(list, "a.b.org"));
  EXPECT_TRUE(host_allowed(list, "x.y.b.org"));
  EXPECT_FALSE(host_allowed(list, "b.org"));
  EXPECT_FALSE(host_allowed(list, "ab.org"));
  EXPECT_FALSE(host_allowed(list, "a.b.org.evil.com"));
}

TEST(HostAllowlist, IpLiteralsMatchOnlyTheSameAddress) {
  const std::vector<std::string> list = {"10.1.2.3", "[::1]", "*.0.0.1"};
  EXPECT_TRUE(host_allowed(list, "10.1.2.3"));
  EXPECT_TRUE(host_allowed(list, "[::1]"));
  EXPECT_TRUE(host_allowed(list, "[0:0::1]"));
  EXPECT_FALSE(host_allowed(list, "127.0.0.1")) << "a name wildcard never matches an address";
  EXPECT_FALSE(host_allowed(list, "10.1.2.4"));
  EXPECT_FALSE(host_allowed({}, "example.com"));
}

TEST(HostAllowlist, FormatsForRefusals) {
  EXPECT_EQ(format_allowlist({"a.com", "*.b.org"}), "[a.com, *.b.org]");
  EXPECT_EQ(format_allowlist({}), "[]");
}

}  // namespace
}  // namespace agents::tools
