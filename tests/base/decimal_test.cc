// Exact decimals (base/decimal.h): every spelling of a value reads as one Decimal, and it is
// written back the way JavaScript writes numbers, with every digit kept.
#include "base/decimal.h"

#include <gtest/gtest.h>

namespace base {
namespace {

std::string canonical(std::string_view text) {
  auto value = parse_decimal(text);
  return value ? to_string(*value) : "(none)";
}

TEST(Decimal, SpellingsOfOneValueAreOneDecimal) {
  EXPECT_EQ(parse_decimal("4.2e1"), parse_decimal("42"));
  EXPECT_EQ(parse_decimal("42.000"), parse_decimal("420E-1"));
  EXPECT_EQ(parse_decimal("-0.0"), parse_decimal("0"));
  EXPECT_EQ(parse_decimal("007"), parse_decimal("7"));
  EXPECT_NE(parse_decimal("12345678901234567"), parse_decimal("12345678901234568"));
  EXPECT_TRUE(parse_decimal("1e2")->is_integer());
  EXPECT_FALSE(parse_decimal("1.5")->is_integer());
  EXPECT_TRUE(parse_decimal("-0")->is_zero());
}

TEST(Decimal, OnlyJsonNumbersAreRead) {
  for (const char* text : {"", "-", "+5", ".5", "5.", "1e", "1e+", "0x1A", "1,000", "inf", "nan",
                           " 5", "5 ", "1e99999999999", "1e-99999999999"})
    EXPECT_EQ(parse_decimal(text), std::nullopt) << text;
}

TEST(Decimal, IsWrittenAsJavaScriptWritesNumbersWithEveryDigit) {
  EXPECT_EQ(canonical("42"), "42");
  EXPECT_EQ(canonical("-4.2e1"), "-42");
  EXPECT_EQ(canonical("1.5e-3"), "0.0015");
  EXPECT_EQ(canonical("0.000001"), "0.000001");
  EXPECT_EQ(canonical("1e-7"), "1e-7");
  EXPECT_EQ(canonical("1.25e-7"), "1.25e-7");
  EXPECT_EQ(canonical("1e20"), "100000000000000000000");
  EXPECT_EQ(canonical("1e21"), "1e+21");
  EXPECT_EQ(canonical("12345678.5"), "12345678.5");
  EXPECT_EQ(canonical("12345678901234567"), "12345678901234567");
  EXPECT_EQ(canonical("123456789012345678901234567890"), "1.2345678901234567890123456789e+29");
  EXPECT_EQ(canonical("-0.0"), "0");
  EXPECT_EQ(canonical("1e999"), "1e+999");
}

}  // namespace
}  // namespace base
