// Reading JSON that an untrusted writer (a model, a sandboxed program) produced, so that the
// value read is the only one a reader could see in the text: nlohmann's parser keeps the last
// of two equal keys where another reader keeps the first, builds values of any depth (which
// dump, copy and compare then walk recursively, one stack frame per level), and reads an
// integer too large for a double as a different one. Each of these is refused here, naming
// where: "/items/2: duplicate key \"id\"".
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "base/expected.h"

namespace base {

inline constexpr size_t kMaxJsonDepth = 64;

// Error codes of parse_json_strict: the text is not JSON at all, or it is JSON that is refused.
enum JsonStrictError : int { kNotJson = 1, kJsonRefused = 2 };

// `text` as JSON, refusing (code kJsonRefused):
// - an object with two equal keys;
// - containers nested more than `max_depth` levels (the root is level 1);
// - an integer that would not be written back as itself (18446744073709551617 becomes the
//   double 1.8446744073709552e+19);
// - a fraction that a double would turn into an integer or zero (1.0000000000000001, 1e-400).
// Other fractions are read as the nearest double, as every JSON reader reads them.
Expected<nlohmann::json> parse_json_strict(std::string_view text, size_t max_depth = kMaxJsonDepth);

}  // namespace base
