// The JSON Schema subset (agents/runtime/json_schema.h): which schemas are accepted, and what
// each keyword refuses, with errors that name the JSON pointer.
#include "agents/runtime/json_schema.h"

#include <gtest/gtest.h>

namespace agents::runtime {
namespace {

using nlohmann::json;

std::vector<std::string> errors_of(const char* value, const char* schema) {
  const json parsed_schema = json::parse(schema);
  EXPECT_TRUE(check_schema(parsed_schema).ok()) << schema;
  return validate(json::parse(value), parsed_schema);
}

TEST(JsonSchema, AcceptsTheSupportedKeywords) {
  const json schema = json::parse(R"({
    "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "t", "description": "d",
    "type": "object", "required": ["a"], "additionalProperties": {"type": "string"},
    "properties": {
      "a": {"type": ["integer", "null"], "minimum": 0, "maximum": 10, "default": 1},
      "b": {"type": "array", "items": {"enum": [1, "x"]}, "minItems": 1, "maxItems": 3},
      "c": {"type": "string", "minLength": 1, "maxLength": 5, "examples": ["z"]},
      "d": {"const": {"k": true}}, "e": true, "f": false}})");
  EXPECT_TRUE(check_schema(schema).ok());
  EXPECT_TRUE(validate(json::parse(R"({"a": 3, "b": [1, "x"], "c": "abc", "d": {"k": true},
                                       "e": [null], "extra": "s"})"),
                       schema)
                  .empty());
}

TEST(JsonSchema, RefusesUnsupportedKeywordsAndBadValuesWithTheirPointer) {
  auto error = [](const char* schema) {
    auto status = check_schema(json::parse(schema));
    return status ? std::string("accepted") : status.error().message;
  };
  EXPECT_EQ(error(R"({"properties": {"x": {"pattern": "^a"}}})").substr(0, 44),
            "/properties/x/pattern: unsupported keyword; ");
  EXPECT_EQ(error(R"({"type": "float"})").substr(0, 22), "/type: expected one of");
  EXPECT_EQ(error(R"({"type": ["string", 3]})").substr(0, 8), "/type/1:");
  EXPECT_EQ(error(R"({"minimum": "3"})"), "/minimum: expected a number, got \"3\"");
  EXPECT_EQ(error(R"({"maxItems": -1})"), "/maxItems: expected a non-negative integer, got -1");
  EXPECT_EQ(error(R"({"required": "a"})"), "/required: expected a list of property names");
  EXPECT_EQ(error(R"({"enum": []})"), "/enum: expected a non-empty list");
  EXPECT_EQ(error(R"({"items": 5})"), "/items: expected a schema object, got 5");
  EXPECT_EQ(error(R"([1])"), "/: expected a schema object, got [1]");
  std::string deep = "true";
  for (int i = 0; i < 40; ++i) deep = R"({"items": )" + deep + "}";
  EXPECT_NE(error(deep.c_str()).find("nested deeper than 32"), std::string::npos);
}

TEST(JsonSchema, TypeMismatchIsReportedOnce) {
  EXPECT_EQ(errors_of(R"("x")", R"({"type": "object", "required": ["a"]})"),
            std::vector<std::string>{"/: expected type object, got \"x\""});
  EXPECT_EQ(errors_of("1.5", R"({"type": "integer"})"),
            std::vector<std::string>{"/: expected type integer, got 1.5"});
  EXPECT_TRUE(errors_of("2.0", R"({"type": "integer"})").empty());
  EXPECT_EQ(errors_of("true", R"({"type": ["number", "string"]})"),
            std::vector<std::string>{"/: expected one of types number string, got true"});
}

TEST(JsonSchema, ObjectKeywords) {
  EXPECT_EQ(
      errors_of(R"({"b": 1})", R"({"required": ["a"], "properties": {"b": {"type": "string"}}})"),
      (std::vector<std::string>{"/: missing required property \"a\"",
                                "/b: expected type string, got 1"}));
  EXPECT_EQ(
      errors_of(R"({"a/b": 1})", R"({"additionalProperties": false})"),
      std::vector<std::string>{"/a~1b: property not allowed (additionalProperties is false)"});
  EXPECT_EQ(
      errors_of(R"({"x": 1})",
                R"({"properties": {"f": false}, "additionalProperties": {"type": "string"}})"),
      std::vector<std::string>{"/x: expected type string, got 1"});
  EXPECT_EQ(errors_of(R"({"f": 1})", R"({"properties": {"f": false}})"),
            std::vector<std::string>{"/f: no value is allowed here"});
}

TEST(JsonSchema, ArrayStringNumberAndEnumKeywords) {
  EXPECT_EQ(errors_of(R"([1, "a", 3])", R"({"items": {"type": "integer"}, "maxItems": 2})"),
            (std::vector<std::string>{"/: expected at most 2 items, got 3",
                                      "/1: expected type integer, got \"a\""}));
  EXPECT_EQ(errors_of("[]", R"({"minItems": 1})"),
            std::vector<std::string>{"/: expected at least 1 items, got 0"});
  // Lengths count characters, not bytes: "héé" is 3.
  EXPECT_TRUE(errors_of(R"("héé")", R"({"maxLength": 3})").empty());
  EXPECT_EQ(errors_of(R"("")", R"({"minLength": 1})"),
            std::vector<std::string>{"/: expected at least 1 characters, got 0"});
  EXPECT_EQ(errors_of("11", R"({"maximum": 10})"),
            std::vector<std::string>{"/: expected at most 10, got 11"});
  EXPECT_EQ(errors_of("-1", R"({"minimum": 0})"),
            std::vector<std::string>{"/: expected at least 0, got -1"});
  EXPECT_EQ(errors_of(R"("c")", R"({"enum": ["a", "b"]})"),
            std::vector<std::string>{"/: expected one of [\"a\",\"b\"], got \"c\""});
  EXPECT_EQ(errors_of("2", R"({"const": 1})"), std::vector<std::string>{"/: expected 1, got 2"});
}

TEST(JsonSchema, NumbersCompareExactly) {
  // Issue 12: minimum and maximum compared through doubles, and enum and const used
  // nlohmann's ==, which takes 18446744073709551615 for -1 and 2^53 + 1 for 2^53.
  auto errors = [](const json& value, const char* schema) {
    return validate(value, json::parse(schema)).size();
  };
  EXPECT_EQ(errors(9007199254740993, R"({"maximum": 9007199254740992})"), 1u);
  EXPECT_EQ(errors(-9007199254740993, R"({"minimum": -9007199254740992})"), 1u);
  EXPECT_EQ(errors(9007199254740993, R"({"maximum": 9007199254740992.0})"), 1u);
  EXPECT_EQ(errors(18446744073709551615u, R"({"maximum": -1})"), 1u);
  EXPECT_EQ(errors(-1, R"({"minimum": 18446744073709551615})"), 1u);
  EXPECT_EQ(errors(18446744073709551615u, R"({"const": -1})"), 1u);
  EXPECT_EQ(errors(-1, R"({"enum": [18446744073709551615]})"), 1u);
  EXPECT_EQ(errors(9007199254740993, R"({"enum": [9007199254740992.0]})"), 1u);
  EXPECT_EQ(errors(json::parse(R"({"a": [9007199254740993]})"),
                   R"({"const": {"a": [9007199254740992.0]}})"),
            1u);
  // Equal values in other spellings match: 1 and 1.0, keys in any order, 0 and -0.0.
  EXPECT_EQ(errors(1, R"({"const": 1.0})"), 0u);
  EXPECT_EQ(errors(json::parse(R"({"b": [2.0], "a": 1})"), R"({"const": {"a": 1.0, "b": [2]}})"),
            0u);
  EXPECT_EQ(errors(-0.0, R"({"enum": [0], "minimum": 0, "maximum": 0})"), 0u);
  EXPECT_EQ(errors(10, R"({"maximum": 10.0, "minimum": 10})"), 0u);
  EXPECT_EQ(errors(10.5, R"({"maximum": 10})"), 1u);
  EXPECT_EQ(errors(9.5, R"({"minimum": 10})"), 1u);
  EXPECT_EQ(errors(json(9223372036854775807), R"({"maximum": 9223372036854775807})"), 0u);
  EXPECT_EQ(errors(json(9223372036854775807), R"({"maximum": 9223372036854775806})"), 1u);
}

TEST(JsonSchema, RefusesEveryKeywordItDoesNotEnforce) {
  // A client must never believe a constraint holds that is silently not checked.
  for (const char* keyword : {"pattern",
                              "format",
                              "$ref",
                              "$defs",
                              "definitions",
                              "allOf",
                              "anyOf",
                              "oneOf",
                              "not",
                              "if",
                              "then",
                              "else",
                              "exclusiveMinimum",
                              "exclusiveMaximum",
                              "multipleOf",
                              "uniqueItems",
                              "contains",
                              "minContains",
                              "prefixItems",
                              "additionalItems",
                              "unevaluatedItems",
                              "patternProperties",
                              "propertyNames",
                              "dependentRequired",
                              "dependentSchemas",
                              "dependencies",
                              "minProperties",
                              "maxProperties",
                              "unevaluatedProperties",
                              "contentEncoding",
                              "contentMediaType",
                              "nullable",
                              "$anchor",
                              "$dynamicRef"}) {
    const json schema = {{"properties", {{"x", {{keyword, json::object()}}}}}};
    auto status = check_schema(schema);
    ASSERT_FALSE(status.ok()) << keyword;
    EXPECT_EQ(status.error().message.rfind(std::string("/properties/x/") + keyword, 0), 0u)
        << status.error().message;
  }
  // The tuple form of items (a list) is refused, not read as "any item".
  EXPECT_FALSE(check_schema(json::parse(R"({"items": [{"type": "string"}]})")).ok());
}

TEST(JsonSchema, ErrorsAreBounded) {
  json many = json::array();
  for (int i = 0; i < 100; ++i) many.push_back("x");
  EXPECT_EQ(validate(many, json::parse(R"({"items": {"type": "number"}})"), 5).size(), 5u);
}

}  // namespace
}  // namespace agents::runtime
