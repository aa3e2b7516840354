// Where a policy's text comes from: a file, a built-in, or a caller's string; and how an
// `extends` reference in one policy finds the next.
#pragma once

#include <filesystem>
#include <string>

#include "base/expected.h"
#include "policies/document.h"
#include "policies/loader.h"

namespace policies {

struct Source {
  std::string identity;       // "builtin:coder" or the canonical path: what cycles compare
  std::string name;           // the policy's name: "coder", a file's stem
  std::string origin;         // for diagnostics: "builtin/coder.json", the path as given
  std::filesystem::path dir;  // where its relative references resolve; empty for built-ins
  std::string text;
};

base::Expected<Source> read_file_source(const std::filesystem::path& path);
base::Expected<Source> builtin_source(std::string_view name);

// Resolves a (checked) `extends` value written in `from`.
base::Expected<Source> resolve_reference(const std::string& reference, const Document& from,
                                         const LoadOptions& options);

// Resolves a `seccomp` file reference written in `from` to a path.
base::Expected<std::filesystem::path> resolve_file(const std::string& reference,
                                                   const Document& from,
                                                   const LoadOptions& options);

}  // namespace policies
