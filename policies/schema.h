// The schema of policy files and of the server's caps, as data: one table drives validation
// (unknown keys, wrong types, impossible values), the defaults, and the docs test that keeps
// docs/policies.md and the code from drifting apart.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "policies/document.h"
#include "policies/value_checks.h"

namespace policies {

enum class FieldKind {
  object,  // fixed keys: `children`
  value,   // a single value: `check`
  list,    // an array whose elements pass `check`
  map,     // an object whose keys pass `key_check` and values pass `check`
};

struct Field {
  std::string name;
  FieldKind kind = FieldKind::value;
  ValueCheck check;
  ValueCheck key_check;
  std::vector<Field> children;
  // The value used when a file does not set this field; a `null` default for an object means
  // the object is absent unless the file names it (a tool that is not allowed).
  nlohmann::json default_value;
};

inline constexpr size_t kMaxListItems = 256;

const Field& policy_schema();
const Field& caps_schema();

// Checks `document` against `schema`; appends one diagnostic per problem. A `null` anywhere
// below the top level is accepted: in a file that extends another it removes the inherited
// value (JSON merge patch, RFC 7396).
void validate(const Document& document, const Field& schema, Diagnostics& errors);

// `value` with every field the schema defaults filled in (objects that default to absent
// stay absent unless present), recursively.
nlohmann::json with_defaults(const Field& schema, const nlohmann::json& value);

// Every field as a JSON pointer ("/tools/http_get/allow_hosts"), parents before children.
std::vector<std::string> field_pointers(const Field& schema);

}  // namespace policies
