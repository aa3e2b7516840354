// The policies shipped in policies/builtin/, compiled into the library so that they are there
// wherever the binary runs (CMake generates the table from the JSON files).
#pragma once

#include <span>
#include <string_view>

namespace policies {

struct BuiltinPolicy {
  std::string_view name;  // "coder"
  std::string_view text;  // the file's JSON, comments included
};

std::span<const BuiltinPolicy> builtin_policies();

}  // namespace policies
