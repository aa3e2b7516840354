#include "base/strings.h"

#include <gtest/gtest.h>

namespace base {
namespace {

TEST(Strings, TrimDropsOnlySurroundingWhitespace) {
  EXPECT_EQ(trim(" \t a b \r\n"), "a b");
  EXPECT_EQ(trim("\v\f x"), "x");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(trim(""), "");
}

TEST(Strings, LowerIsAsciiOnly) {
  EXPECT_EQ(lower("Content-Type: 64KiB"), "content-type: 64kib");
  EXPECT_EQ(lower("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");  // É stays: bytes above 0x7F
}

TEST(Strings, ValidUtf8KeepsValidTextAndReplacesEachBadByte) {
  EXPECT_EQ(valid_utf8("plain \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"),
            "plain \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  const std::string replacement = "\xEF\xBF\xBD";
  EXPECT_EQ(valid_utf8("a\xFF"
                       "b"),
            "a" + replacement + "b");
  EXPECT_EQ(valid_utf8("\xC0\xAF"), replacement + replacement);                    // overlong '/'
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), replacement + replacement + replacement);  // surrogate
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80").size(), 4 * replacement.size());        // past U+10FFFF
  EXPECT_EQ(valid_utf8("\xE2\x82"), replacement + replacement);                    // cut short
  EXPECT_EQ(valid_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

}  // namespace
}  // namespace base
