// Diagnostics for policy files: every error names the file, the line and column where known,
// the JSON pointer of the offending value, and what was expected. A file's errors are
// collected and reported together, so an operator fixes them in one pass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/expected.h"

namespace policies {

struct Diagnostic {
  std::string file;     // as the operator wrote it: "coder.json", or "builtin/coder.json"
  uint32_t line = 0;    // 1-based; 0 when unknown
  uint32_t column = 0;  // 1-based, in bytes
  std::string pointer;  // "/tools/http_get/allow_hosts/2"; empty for the whole document
  std::string message;  // "expected a size like \"512M\", got -5"

  // "coder.json:12:7: /limits/memory: expected a size like \"512M\", got -5"
  std::string to_string() const;
};

using Diagnostics = std::vector<Diagnostic>;

// One diagnostic per line.
std::string format(const Diagnostics& diagnostics);

// For callers that want base::Expected: all diagnostics in one message.
base::Error to_error(const Diagnostics& diagnostics);

// A value, or every reason there is none.
template <class T>
struct Validated {
  std::optional<T> value;
  Diagnostics errors;

  bool ok() const { return value.has_value(); }
};

// 1-based line and byte column of `offset` in `text`.
std::pair<uint32_t, uint32_t> line_and_column(std::string_view text, size_t offset);

// A short rendering of a JSON value for "got ..." (long values are cut).
std::string shorten(std::string text, size_t max_chars = 60);

// `text` as a JSON string literal, shortened, invalid UTF-8 replaced: safe to show a model,
// an operator's terminal or a JSON event whatever a hostile caller sent.
std::string quote(std::string_view text);

}  // namespace policies
