#include "policies/source.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "policies/builtin.h"
#include "policies/value_checks.h"

namespace policies {
namespace {

namespace fs = std::filesystem;

std::string known_builtins() {
  std::string names;
  for (const BuiltinPolicy& builtin : builtin_policies()) {
    names += (names.empty() ? "" : ", ") + std::string(builtin.name);
  }
  return names;
}

}  // namespace

base::Expected<Source> read_file_source(const fs::path& path) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) {
    return base::Error{"cannot read " + quote(path.string()) + ": " +
                       (error ? error.message() : "not a regular file")};
  }
  uintmax_t size = fs::file_size(path, error);
  if (error || size > kMaxDocumentBytes) {
    return base::Error{
        "cannot read " + quote(path.string()) + ": " +
        (error ? error.message() : "larger than " + std::to_string(kMaxDocumentBytes) + " bytes")};
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    return base::Error{"cannot read " + quote(path.string()) + ": " + std::strerror(errno)};
  }
  fs::path canonical = fs::weakly_canonical(path, error);
  return Source{"file:" + (error ? path.string() : canonical.string()), path.stem().string(),
                path.string(), path.parent_path().empty() ? fs::path(".") : path.parent_path(),
                text.str()};
}

base::Expected<Source> builtin_source(std::string_view name) {
  for (const BuiltinPolicy& builtin : builtin_policies()) {
    if (builtin.name == name) {
      return Source{"builtin:" + std::string(name),
                    std::string(name),
                    "builtin/" + std::string(name) + ".json",
                    {},
                    std::string(builtin.text)};
    }
  }
  return base::Error{"unknown policy " + quote(name) + "; built-in policies: " + known_builtins()};
}

base::Expected<fs::path> resolve_file(const std::string& reference, const Document& from,
                                      const LoadOptions& options) {
  if (!options.allow_files) {
    return base::Error{"file references are disabled here; expected a built-in name"};
  }
  fs::path path(reference);
  if (path.is_absolute()) return path;
  if (from.dir.empty()) {
    return base::Error{"a relative file reference needs a policy file to resolve against; " +
                       from.origin + " has none"};
  }
  return from.dir / path;
}

base::Expected<Source> resolve_reference(const std::string& reference, const Document& from,
                                         const LoadOptions& options) {
  if (reference.rfind("builtin:", 0) == 0) return builtin_source(reference.substr(8));
  if (is_file_reference(reference)) {
    auto path = resolve_file(reference, from, options);
    if (!path) return path.error();
    return read_file_source(path.value());
  }
  if (options.allow_files) {
    for (const fs::path& dir : options.search_dirs) {
      fs::path candidate = dir / (reference + ".json");
      std::error_code error;
      if (fs::is_regular_file(candidate, error)) return read_file_source(candidate);
    }
  }
  auto builtin = builtin_source(reference);
  if (builtin || !options.allow_files || options.search_dirs.empty()) return builtin;
  std::string searched;
  for (const fs::path& dir : options.search_dirs) searched += " " + quote(dir.string());
  return base::Error{builtin.error().message + "; searched" + searched};
}

}  // namespace policies
