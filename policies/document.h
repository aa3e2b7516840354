// A parsed policy (or caps) file: the JSON value plus where each value starts in the text, so
// that errors found later (schema, merge, compile) can name a line and column. nlohmann does
// not track positions, so a second, small scanner walks the already validated text and maps
// each JSON pointer to the byte offsets of its key and value.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "policies/diagnostic.h"

namespace policies {

// Policy files are small; larger input is refused before parsing.
inline constexpr size_t kMaxDocumentBytes = 1 << 20;
// The schema is four levels deep; anything much deeper is not a policy.
inline constexpr int kMaxNesting = 32;

struct ValuePosition {
  size_t key_offset = 0;  // the member's key; the element itself for array elements
  size_t value_offset = 0;
};

struct Document {
  std::string origin;         // the name diagnostics use: "coder.json", "builtin/coder.json"
  std::filesystem::path dir;  // where relative references resolve; empty: none allowed
  std::string text;
  nlohmann::json value;
  std::map<std::string, ValuePosition, std::less<>> positions;  // JSON pointer -> offsets

  // A diagnostic at `pointer` (or its nearest ancestor that has a position).
  Diagnostic at(std::string_view pointer, std::string message, bool at_key = false) const;
};

// Parses JSON with // and /* */ comments. The top level must be an object. Syntax errors,
// duplicate keys, excessive nesting and size are reported with line and column.
Validated<Document> parse_document(std::string text, std::string origin,
                                   std::filesystem::path dir = {});

// "/a~1b" for key "a/b": RFC 6901 escaping of one reference token.
std::string pointer_token(std::string_view key);

}  // namespace policies
