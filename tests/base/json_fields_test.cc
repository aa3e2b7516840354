// The one JSON field reader: each check, its wording, and pointers that resolve (RFC 6901) for
// any key.
#include "base/json_fields.h"

#include <gtest/gtest.h>

#include <cmath>

namespace base {
namespace {

using nlohmann::json;

// The message of a read that must fail.
template <class T>
std::string message_of(const FieldResult<T>& read) {
  EXPECT_FALSE(read.ok());
  return read.ok() ? std::string() : read.error().message;
}

TEST(JsonFields, ShownCutsLongValuesAndReplacesBadUtf8) {
  EXPECT_EQ(shown(json("ab")), "\"ab\"");
  EXPECT_EQ(shown(json(std::string(100, 'x'))), "\"" + std::string(56, 'x') + "...");
  EXPECT_EQ(shown(json(std::string(100, 'x'))).size(), 60u);
  EXPECT_EQ(shown(json("a\xFF")), "\"a\xEF\xBF\xBD\"");
  EXPECT_EQ(shown(json::array({1, 2}), 4), "[...");
}

TEST(JsonFields, AnObjectIsCheckedFirst) {
  const json list = json::array();
  const FieldStatus root = JsonFields(list, "").expect_object();
  EXPECT_EQ(message_of(root), "/: expected an object, got []");
  EXPECT_EQ(root.error().pointer, "");  // the real pointer of the document; "/" is only wording
  EXPECT_EQ(message_of(JsonFields(json(5), "/options").expect_object()),
            "/options: expected an object, got 5");
  EXPECT_TRUE(JsonFields(json::object(), "").expect_object());
  // A non-object has no fields: getters fall back, nothing is unknown.
  JsonFields none(list, "");
  EXPECT_EQ(*none.count("n", 3, 0, 9), 3u);
  EXPECT_TRUE(none.unknown_keys({"n"}).empty());
}

TEST(JsonFields, UnknownKeysAreListedInOrderWithWhatIsKnown) {
  const json object{{"a", 1}, {"b", 2}, {"c", 3}};
  JsonFields fields(object, "/spec");
  const std::vector<FieldError> unknown = fields.unknown_keys({"b", "d"}, "key");
  ASSERT_EQ(unknown.size(), 2u);
  EXPECT_EQ(unknown[0].message, "/spec/a: unknown key; expected one of: b, d");
  EXPECT_EQ(unknown[1].pointer, "/spec/c");
  EXPECT_EQ(unknown[1].problem, "unknown key");
  EXPECT_EQ(unknown[1].expected, "one of: b, d");
  EXPECT_FALSE(unknown[1].got);
  EXPECT_EQ(message_of(fields.only({"b", "d"})), "/spec/a: unknown field; expected one of: b, d");
  EXPECT_EQ(message_of(fields.only({}, "parameter")),
            "/spec/a: unknown parameter; expected no parameters");
  EXPECT_TRUE(fields.only({"a", "b", "c"}));
}

TEST(JsonFields, OddKeysAreEscapedSoThatThePointerResolves) {
  const json object{{"a/b", 1}, {"~", 2}, {"~1", 3}};
  JsonFields fields(object, "");
  const std::vector<FieldError> unknown = fields.unknown_keys({});
  ASSERT_EQ(unknown.size(), 3u);
  EXPECT_EQ(unknown[0].pointer, "/a~1b");
  EXPECT_EQ(unknown[1].pointer, "/~0");
  EXPECT_EQ(unknown[2].pointer, "/~01");
  for (size_t i = 0; i < unknown.size(); ++i)
    EXPECT_EQ(object.at(json::json_pointer(unknown[i].pointer)), json(i + 1)) << unknown[i].pointer;
  EXPECT_EQ(message_of(fields.count("a/b", 0, 5, 9)),
            "/a~1b: expected an integer from 5 to 9, got 1");
}

TEST(JsonFields, StringsHaveABoundAndMayBeRequiredNonEmpty) {
  const json object{{"name", "abc"}, {"empty", ""}, {"number", 5}};
  JsonFields fields(object, "/role");
  EXPECT_EQ(*fields.string("name", std::nullopt, 3), "abc");
  EXPECT_EQ(*fields.string("absent", "fallback"), "fallback");
  EXPECT_EQ(*fields.string("empty", std::nullopt), "");
  EXPECT_EQ(message_of(fields.string("name", std::nullopt, 2)),
            "/role/name: expected a string of at most 2 bytes, got \"abc\"");
  EXPECT_EQ(message_of(fields.string("empty", std::nullopt, 256, true)),
            "/role/empty: expected a non-empty string of at most 256 bytes, got \"\"");
  EXPECT_EQ(message_of(fields.string("number", "x")), "/role/number: expected a string, got 5");
  EXPECT_EQ(message_of(fields.string("absent", std::nullopt, 8, true)),
            "/role/absent: expected a non-empty string of at most 8 bytes, but it is missing");
}

TEST(JsonFields, CountsAreIntegersInRangeAndNeverNegative) {
  const json object = json::parse(
      R"({"n": 7, "negative": -1, "big_negative": -9223372036854775808, "fraction": 1.5,
          "whole_float": 2.0, "text": "5", "max": 18446744073709551615,
          "past_max": 18446744073709551616})");
  JsonFields fields(object, "");
  EXPECT_EQ(*fields.count("n", 0, 1, 10), 7u);
  EXPECT_EQ(*fields.count("absent", 4, 1, 10), 4u);
  EXPECT_EQ(*fields.count("max", 0, 0, UINT64_MAX), UINT64_MAX);
  EXPECT_EQ(message_of(fields.count("n", 0, 8, 10)), "/n: expected an integer from 8 to 10, got 7");
  EXPECT_EQ(message_of(fields.count("negative", 0, 0, 10)),
            "/negative: expected an integer from 0 to 10, got -1");
  // Read as unsigned, -2^63 would be 2^63: in range of a wide bound.
  EXPECT_FALSE(fields.count("big_negative", 0, 0, UINT64_MAX));
  EXPECT_FALSE(fields.count("fraction", 0, 0, 10));
  EXPECT_FALSE(fields.count("whole_float", 0, 0, 10));
  EXPECT_FALSE(fields.count("text", 0, 0, 10));
  // Past uint64 the parser makes a float: not a count, whatever the bound.
  EXPECT_EQ(message_of(fields.count("past_max", 0, 0, UINT64_MAX)).substr(0, 10), "/past_max:");
}

TEST(JsonFields, NumbersAreFiniteAndInRange) {
  const json object =
      json::parse(R"({"q": 0.5, "n": -3, "huge": 1.7976931348623157e308, "text": "1"})");
  JsonFields fields(object, "/vote");
  EXPECT_EQ(*fields.number("q", 0, 0, 1), 0.5);
  EXPECT_EQ(*fields.number("n", 0, -5, 5), -3.0);
  EXPECT_EQ(*fields.number("absent", 0.25, 0, 1), 0.25);
  EXPECT_EQ(message_of(fields.number("q", 0, 1, 2)),
            "/vote/q: expected a number from 1.0 to 2.0, got 0.5");
  EXPECT_EQ(message_of(fields.number("huge", 0, 0, 1e6)),
            "/vote/huge: expected a number from 0.0 to 1000000.0, got 1.7976931348623157e+308");
  EXPECT_EQ(*fields.number("huge", 0, 0, HUGE_VAL), 1.7976931348623157e308);
  EXPECT_FALSE(fields.number("text", 0, 0, 10));
  // JSON text cannot hold NaN or infinity (the parser refuses a literal past the double range),
  // but a document built in the program can, and no range admits them.
  json parsed;
  EXPECT_THROW(parsed = json::parse("1e400"), json::out_of_range);
  EXPECT_FALSE(JsonFields(json{{"nan", NAN}}, "").number("nan", 0, -HUGE_VAL, HUGE_VAL));
  EXPECT_FALSE(JsonFields(json{{"inf", HUGE_VAL}}, "").number("inf", 0, -HUGE_VAL, HUGE_VAL));
}

TEST(JsonFields, BooleansAreTrueOrFalse) {
  const json object{{"yes", true}, {"one", 1}};
  JsonFields fields(object, "");
  EXPECT_TRUE(*fields.boolean("yes", false));
  EXPECT_TRUE(*fields.boolean("absent", true));
  EXPECT_EQ(message_of(fields.boolean("one", false)), "/one: expected true or false, got 1");
}

TEST(JsonFields, StringListsNameTheBadElement) {
  const json object{{"dirs", {"/a", "/b"}}, {"mixed", {"/a", 5}}, {"blank", {""}}, {"one", "x"}};
  JsonFields fields(object, "/policies");
  EXPECT_EQ(*fields.strings("dirs", {}), (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(*fields.strings("absent", {"d"}), std::vector<std::string>{"d"});
  EXPECT_EQ(message_of(fields.strings("mixed", {})),
            "/policies/mixed/1: expected a non-empty string, got 5");
  EXPECT_EQ(fields.strings("blank", {}).error().pointer, "/policies/blank/0");
  EXPECT_EQ(message_of(fields.strings("one", {})),
            "/policies/one: expected an array of strings, got \"x\"");
}

TEST(JsonFields, ChildrenCarryTheirPointerAndAbsentOnesReadAsEmpty) {
  const json object{{"a/b", {{"n", 50}}}};
  JsonFields fields(object, "/x");
  JsonFields child = fields.child("a/b");
  EXPECT_EQ(child.pointer(), "/x/a~1b");
  EXPECT_EQ(message_of(child.count("n", 0, 0, 10)),
            "/x/a~1b/n: expected an integer from 0 to 10, got 50");
  JsonFields absent = fields.child("absent");
  EXPECT_TRUE(absent.expect_object());
  EXPECT_EQ(*absent.count("n", 3, 0, 10), 3u);
}

TEST(JsonFields, CallersWordTheirOwnChecks) {
  const json object{{"kind", "disk"}};
  JsonFields fields(object, "/res");
  const FieldError wrong = fields.error("kind", "\"scratch\"");
  EXPECT_EQ(wrong.message, "/res/kind: expected \"scratch\", got \"disk\"");
  EXPECT_EQ(wrong.expected, "\"scratch\"");
  EXPECT_EQ(*wrong.got, "\"disk\"");
  EXPECT_EQ(fields.error("absent", "a name").message,
            "/res/absent: expected a name, but it is missing");
  // Passed on as a base::Error, a FieldError keeps its message.
  const Status status = Error(wrong);
  EXPECT_EQ(status.error().message, wrong.message);
}

}  // namespace
}  // namespace base
