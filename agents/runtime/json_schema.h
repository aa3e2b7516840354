// A small JSON Schema validator for task output schemas and plans (nlohmann::json has none).
// The supported subset, enough for structured LLM output:
//   type (a name or a list of names: object, array, string, number, integer, boolean, null),
//   properties, required, additionalProperties (boolean or schema), items (one schema),
//   enum, const, minimum, maximum, minLength, maxLength, minItems, maxItems;
//   title, description, default, examples, $schema, $id are annotations and ignored.
// Any other keyword is refused by check_schema, so a client never believes a constraint holds
// that is silently not checked. Nesting is limited to kMaxSchemaDepth levels. Numbers compare
// by their exact values (minimum, maximum, enum, const): 2^53 + 1 is above 2^53 even though a
// double holds both as one; 1 and 1.0 are equal. docs/validation.md has the rules.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/expected.h"

namespace agents::runtime {

inline constexpr int kMaxSchemaDepth = 32;

// Whether `schema` is a schema in the subset; the error names the keyword's JSON pointer in
// the schema: "/properties/score/minimum: expected a number".
base::Status check_schema(const nlohmann::json& schema);

// Every violation of `value` against `schema` (already checked), each as
// "/items/2/score: expected a number, got \"high\""; empty when it validates. At most
// `max_errors` are collected.
std::vector<std::string> validate(const nlohmann::json& value, const nlohmann::json& schema,
                                  size_t max_errors = 8);

}  // namespace agents::runtime
