#include "base/size.h"

#include <gtest/gtest.h>

namespace base {
namespace {

TEST(ParseSize, AcceptsBinaryUnits) {
  EXPECT_EQ(parse_size("4096").value(), 4096u);
  EXPECT_EQ(parse_size("64K").value(), 64u << 10);
  EXPECT_EQ(parse_size("64KiB").value(), 64u << 10);
  EXPECT_EQ(parse_size("512m").value(), 512ull << 20);
  EXPECT_EQ(parse_size("512MB").value(), 512ull << 20);
  EXPECT_EQ(parse_size("1G").value(), 1ull << 30);
  EXPECT_EQ(parse_size("1.5G").value(), 3ull << 29);
  EXPECT_EQ(parse_size("2T").value(), 2ull << 40);
}

TEST(ParseSize, RefusesMalformedSizesWithTheExpectedForm) {
  for (const char* bad : {"", "12XB", "-5", "M", "1.5", "1e9", "12 M", "0x10"}) {
    auto parsed = parse_size(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().message.find("invalid size"), std::string::npos) << bad;
  }
  EXPECT_NE(parse_size("12XB").error().message.find("512M"), std::string::npos);
  EXPECT_FALSE(parse_size("99999999999T").ok());
}

TEST(ParseDuration, AcceptsSecondsAndUnits) {
  using std::chrono::milliseconds;
  EXPECT_EQ(parse_duration("10").value(), milliseconds(10'000));
  EXPECT_EQ(parse_duration("0.5").value(), milliseconds(500));
  EXPECT_EQ(parse_duration("250ms").value(), milliseconds(250));
  EXPECT_EQ(parse_duration("2m").value(), milliseconds(120'000));
  EXPECT_EQ(parse_duration("1h").value(), milliseconds(3'600'000));
}

TEST(ParseDuration, RefusesMalformedDurations) {
  for (const char* bad : {"", "ten", "5x", "-1", "1d", "99999999h"})
    EXPECT_FALSE(parse_duration(bad).ok()) << bad;
}

TEST(FormatSize, PrintsTheLargestExactUnit) {
  EXPECT_EQ(format_size(512ull << 20), "512M");
  EXPECT_EQ(format_size(1ull << 30), "1G");
  EXPECT_EQ(format_size(1500), "1500");
}

}  // namespace
}  // namespace base
