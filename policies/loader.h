// Loading policies: read a file (or a built-in), validate it against the schema, follow its
// `extends` chain, merge, and check what only the merged policy can tell (host networking
// opt-in, seccomp profile files). Every error of every file in the chain is reported at once.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "policies/diagnostic.h"
#include "policies/policy.h"

namespace policies {

inline constexpr size_t kMaxExtendsDepth = 16;

struct LoadOptions {
  // Operator directories where `extends: "name"` looks for name.json, in order, before the
  // built-in policies. ("builtin:name" always means the shipped one.)
  std::vector<std::filesystem::path> search_dirs;
  // false: no file is read at all; `extends` and `seccomp` may only name built-ins (the fuzzer
  // and policies that come from untrusted places).
  bool allow_files = true;
};

Validated<Policy> load_policy_file(const std::filesystem::path& path,
                                   const LoadOptions& options = {});

// `origin` names the text in diagnostics; relative references resolve against `dir` (none are
// allowed when it is empty).
Validated<Policy> load_policy_text(std::string text, const std::string& origin,
                                   const LoadOptions& options = {}, std::filesystem::path dir = {});

// A policy by name, as `extends` would find it: the search directories, then the built-ins.
Validated<Policy> load_policy_named(std::string_view name, const LoadOptions& options = {});

std::vector<std::string> builtin_policy_names();

}  // namespace policies
