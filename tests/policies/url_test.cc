#include "policies/url.h"

#include <gtest/gtest.h>

#include <string>

namespace policies {
namespace {

std::string refusal(const std::string& url) {
  std::string problem;
  EXPECT_FALSE(parse_http_url(url, &problem).has_value()) << url << " parsed";
  return problem;
}

TEST(HttpUrl, ParsesSchemeHostAndPort) {
  std::string problem;
  auto url = parse_http_url("https://Docs.Python.org./3/library?q=1#x", &problem);
  ASSERT_TRUE(url) << problem;
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "docs.python.org");
  EXPECT_EQ(url->port, 443);

  url = parse_http_url("HTTP://[::1]:8080/", &problem);
  ASSERT_TRUE(url) << problem;
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8080);

  url = parse_http_url("http://192.0.2.7", &problem);
  ASSERT_TRUE(url) << problem;
  EXPECT_EQ(url->host, "192.0.2.7");
  EXPECT_EQ(url->port, 80);
}

TEST(HttpUrl, RefusesWhatAnotherParserMightReadDifferently) {
  EXPECT_NE(refusal("ftp://example.com/").find("scheme"), std::string::npos);
  EXPECT_NE(refusal("file:///etc/passwd").find("scheme"), std::string::npos);
  EXPECT_NE(refusal("http://user:pw@example.com/").find("credentials"), std::string::npos);
  EXPECT_NE(refusal("http://allowed.org@evil.com/").find("credentials"), std::string::npos);
  EXPECT_NE(refusal("http://exa mple.com/").find("space"), std::string::npos);
  EXPECT_NE(refusal("http:\\\\evil.com\\").find("backslash"), std::string::npos);
  EXPECT_NE(refusal("http://ex\xc3\xa4mple.com/").find("non-ASCII"), std::string::npos);
  EXPECT_NE(refusal("http://0x7f.1/").find("ambiguous"), std::string::npos);
  EXPECT_NE(refusal("http://2130706433/").find("ambiguous"), std::string::npos);
  EXPECT_NE(refusal("http://127.1/").find("ambiguous"), std::string::npos);
  EXPECT_NE(refusal("http://example.com:99999/").find("port"), std::string::npos);
  EXPECT_NE(refusal("http://example.com:/").find("port"), std::string::npos);
  EXPECT_NE(refusal("http:///path").find("no host"), std::string::npos);
  EXPECT_NE(refusal("//example.com/").find("absolute"), std::string::npos);
  EXPECT_NE(refusal("http://[::1/").find("IPv6"), std::string::npos);
  EXPECT_NE(refusal("http://[nope]/").find("IPv6"), std::string::npos);
  EXPECT_NE(refusal("http://a_b%2e.com/").find("not a valid name"), std::string::npos);
}

TEST(HostPattern, AcceptsNamesWildcardsAndAddresses) {
  for (const char* pattern :
       {"example.com", "*.example.com", "EXAMPLE.com", "192.0.2.1", "[2001:db8::1]", "localhost"}) {
    EXPECT_EQ(host_pattern_problem(pattern), std::nullopt) << pattern;
  }
}

TEST(HostPattern, RefusesPatternsThatMatchTooMuchOrNothing) {
  for (const char* pattern :
       {"*", "*.com", "*.", "", "exa mple.com", "-a.com", "a-.com", "http://example.com",
        "example.com/path", "1.2.3", "*.192.0.2.1", "[::zz]", "example..com", "*.*.example.com"}) {
    EXPECT_NE(host_pattern_problem(pattern), std::nullopt) << pattern;
  }
}

TEST(HostPattern, MatchesExactNamesAndSubdomains) {
  EXPECT_TRUE(host_matches("example.com", "example.com"));
  EXPECT_TRUE(host_matches("Example.COM", "example.com"));
  EXPECT_FALSE(host_matches("example.com", "www.example.com"));
  EXPECT_TRUE(host_matches("*.example.com", "a.example.com"));
  EXPECT_TRUE(host_matches("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(host_matches("*.example.com", "example.com"));
  EXPECT_FALSE(host_matches("*.example.com", "evilexample.com"));
  EXPECT_FALSE(host_matches("*.example.com", "example.com.evil.org"));
  EXPECT_TRUE(host_matches("[::1]", "::1"));
  EXPECT_TRUE(host_matches("192.0.2.1", "192.0.2.1"));
}

TEST(HostPattern, KnowsWhenOnePatternLiesWithinAnother) {
  EXPECT_TRUE(pattern_within("docs.python.org", "docs.python.org"));
  EXPECT_TRUE(pattern_within("docs.python.org", "*.python.org"));
  EXPECT_TRUE(pattern_within("*.docs.python.org", "*.python.org"));
  EXPECT_TRUE(pattern_within("*.python.org", "*.python.org"));
  EXPECT_FALSE(pattern_within("python.org", "*.python.org"));
  EXPECT_FALSE(pattern_within("*.python.org", "docs.python.org"));
  EXPECT_FALSE(pattern_within("evilpython.org", "*.python.org"));
  EXPECT_FALSE(pattern_within("*.org", "*.python.org"));
}

TEST(Cidr, ValidatesAndMatchesRanges) {
  EXPECT_EQ(cidr_problem("10.0.0.0/8"), std::nullopt);
  EXPECT_EQ(cidr_problem("127.0.0.1/32"), std::nullopt);
  EXPECT_EQ(cidr_problem("fd00::/8"), std::nullopt);
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0/8", "fd00::/129",
                          "10.0.0.0/8x", "10.0.0.0/", "x/8"}) {
    EXPECT_NE(cidr_problem(bad), std::nullopt) << bad;
  }
  EXPECT_TRUE(cidr_contains("127.0.0.0/8", "127.1.2.3"));
  EXPECT_FALSE(cidr_contains("127.0.0.0/8", "128.0.0.1"));
  EXPECT_TRUE(cidr_contains("10.1.2.0/23", "10.1.3.255"));
  EXPECT_FALSE(cidr_contains("10.1.2.0/23", "10.1.4.0"));
  EXPECT_TRUE(cidr_contains("0.0.0.0/0", "8.8.8.8"));
  EXPECT_TRUE(cidr_contains("fd00::/8", "fd12::1"));
  EXPECT_FALSE(cidr_contains("fd00::/8", "fe80::1"));
  EXPECT_FALSE(cidr_contains("127.0.0.0/8", "::1"));  // families never mix
  EXPECT_FALSE(cidr_contains("127.0.0.0/8", "not an address"));
}

}  // namespace
}  // namespace policies
