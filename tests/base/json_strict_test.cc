// Strict JSON reading (base/json_strict.h): what nlohmann's parser would read one way and
// another reader another way is refused, with the JSON pointer of where it is.
#include "base/json_strict.h"

#include <gtest/gtest.h>

namespace base {
namespace {

using nlohmann::json;

// The value read, compact, or "refused: ..." / "not JSON: ...".
std::string read(const std::string& text, size_t max_depth = kMaxJsonDepth) {
  auto value = parse_json_strict(text, max_depth);
  if (value) return value->dump();
  return (value.error().code == kJsonRefused ? "refused: " : "") + value.error().message;
}

TEST(JsonStrict, ReadsWhatNlohmannReads) {
  for (const char* text :
       {R"({"a": [1, -2, 3.5, true, null, "x", {"b": {}}], "c": []})", "1.0", "0.1", "-0.0", "1e20",
        "18446744073709551615", "-9223372036854775808", "  \"s\"  ", "1.5e300", "9007199254740992"})
    EXPECT_EQ(read(text), json::parse(text).dump()) << text;
}

TEST(JsonStrict, RefusesDuplicateKeysNamingTheObject) {
  EXPECT_EQ(read(R"({"a": 1, "a": 2})"), "refused: /: duplicate key \"a\"");
  EXPECT_EQ(read(R"({"x": [{}, {"k": {"a": 1}, "k": 2}]})"), "refused: /x/1: duplicate key \"k\"");
  EXPECT_EQ(read(R"({"a/b": {"c": 1, "c": 1}})"), "refused: /a~1b: duplicate key \"c\"");
  // Equal keys in different objects are fine.
  EXPECT_EQ(read(R"({"a": {"a": 1}, "b": {"a": 2}})"), R"({"a":{"a":1},"b":{"a":2}})");
}

TEST(JsonStrict, RefusesDeepNestingWithoutRecursing) {
  EXPECT_EQ(read("[[[1]]]", 3), "[[[1]]]");
  EXPECT_EQ(read("[[[[1]]]]", 3), "refused: /0/0/0: nested deeper than 3 levels");
  EXPECT_EQ(read(R"({"a": {"b": {"c": {}}}})", 3), "refused: /a/b/c: nested deeper than 3 levels");
  const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  EXPECT_EQ(read(deep).substr(0, 20), "refused: /0/0/0/0/0/");
  EXPECT_NE(read(deep).find(": nested deeper than 64 levels"), std::string::npos);
  EXPECT_EQ(read(std::string(64, '[') + std::string(64, ']')).size(), 128u);
}

TEST(JsonStrict, RefusesNumbersThatWouldBeWrittenBackAsOthers) {
  EXPECT_EQ(read(R"({"id": 18446744073709551617})"),
            "refused: /id: the integer 18446744073709551617 is too large to be held exactly (it "
            "would be written back as 1.8446744073709552e+19)");
  EXPECT_EQ(read("[18446744073709551616]"),
            "refused: /0: the integer 18446744073709551616 is too large to be held exactly (it "
            "would be written back as 1.8446744073709552e+19)");
  EXPECT_EQ(read("[9007199254740993.0]"),
            "refused: /0: the integer 9007199254740993.0 is too large to be held exactly (it "
            "would be written back as 9.007199254740992e+15)");
  EXPECT_EQ(read("1.0000000000000001"),
            "refused: /: the number 1.0000000000000001 would be written back as 1.0");
  EXPECT_EQ(read("1e-400"), "refused: /: the number 1e-400 would be written back as 0.0");
  EXPECT_EQ(read("1e400").rfind("refused: number overflow parsing '1e400'", 0), 0u)
      << read("1e400");
  // nlohmann writes the double nearest 1e23 as 9.999999999999999e+22.
  EXPECT_EQ(read("[1e23]").rfind("refused: /0: the integer 1e23 is too large", 0), 0u);
  // Whole numbers written back as themselves, and fractions, which read as the nearest double.
  EXPECT_EQ(read("[1e20, 2.0, -0.0, 1.5e300]"), "[1e+20,2.0,-0.0,1.5e+300]");
  EXPECT_EQ(read("0.30000000000000001"), "0.3");
}

TEST(JsonStrict, SaysWhyTextIsNotJson) {
  EXPECT_EQ(read("{oops").rfind("not JSON: parse error at line 1, column 2: ", 0), 0u)
      << read("{oops");
  EXPECT_EQ(read("").rfind("not JSON: ", 0), 0u);
  EXPECT_EQ(read("[1] [2]").rfind("not JSON: ", 0), 0u);
  EXPECT_EQ(parse_json_strict("{oops").error().code, kNotJson);
  EXPECT_LE(read("\"" + std::string(100000, 'x')).size(), 320u);  // the last token is cut
}

}  // namespace
}  // namespace base
