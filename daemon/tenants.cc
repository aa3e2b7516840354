#include "daemon/tenants.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <memory>

#include "base/strings.h"

namespace agentd {
namespace {

TokenHash sha256(std::string_view text) {
  TokenHash hash{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), hash.data(), &length, EVP_sha256(), nullptr);
  return hash;
}

constexpr size_t kMaxGlobBytes = 4096;

// "/a/b/c" → {"a", "b", "c"}; "/" → {}.
std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    if (path.front() == '/') path.remove_prefix(1);
    const size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash);
  }
  return parts;
}

// One component against a pattern where "*" stands for any characters: the usual greedy scan,
// going back to the last "*" on a mismatch, so linear in practice and never exponential.
bool component_matches(std::string_view pattern, std::string_view name) {
  size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// The glob with its leading literal components resolved as a repository path is (realpath),
// so that a glob written through a symlinked directory (/srv → /data/srv) still matches the
// canonical paths it is held against. A prefix that does not exist stays as written.
std::string canonical_glob(const std::string& glob) {
  const auto parts = components(glob);
  std::string literal, rest;
  size_t i = 0;
  for (; i < parts.size() && parts[i].find('*') == std::string_view::npos; ++i)
    literal += "/" + std::string(parts[i]);
  for (; i < parts.size(); ++i) rest += "/" + std::string(parts[i]);
  if (literal.empty()) return glob;
  std::unique_ptr<char, decltype(&std::free)> resolved(realpath(literal.c_str(), nullptr),
                                                       &std::free);
  if (!resolved) return glob;
  const std::string prefix = resolved.get();
  return (prefix == "/" ? "" : prefix) + rest;
}

}  // namespace

std::optional<std::string> repository_glob_problem(std::string_view glob) {
  const std::string expected =
      "expected an absolute path glob (\"/srv/git/*\", \"/home/alice/src/**\")";
  const std::string shown = "\"" + std::string(glob.substr(0, 200)) + "\"";
  if (glob.empty() || glob.front() != '/' || glob.size() > kMaxGlobBytes)
    return expected + " of at most 4096 bytes, got " + shown;
  if (glob.find('\0') != std::string_view::npos) return expected + ", got a path holding NUL";
  const auto parts = components(glob);
  if (parts.empty()) return expected + " below /, got " + shown;
  for (std::string_view part : parts) {
    if (part.empty())
      return expected + " without empty components (\"//\", a final /), got " + shown;
    if (part == "." || part == "..")
      return expected + " without \".\" or \"..\" components, got " + shown;
    if (part != "**" && part.find("**") != std::string_view::npos)
      return expected + " where ** is a whole component, got " + shown;
  }
  return std::nullopt;
}

bool repository_glob_matches(std::string_view glob, std::string_view path) {
  const auto pattern = components(glob);
  const auto names = components(path);
  // matches[i][j]: pattern[i..] matches names[j..]. Filled from the end, so each "**" costs one
  // pass over the names instead of a backtracking search.
  std::vector<std::vector<char>> matches(pattern.size() + 1,
                                         std::vector<char>(names.size() + 1, 0));
  matches[pattern.size()][names.size()] = 1;
  for (size_t i = pattern.size(); i-- > 0;) {
    const bool last = i + 1 == pattern.size();
    for (size_t j = names.size() + 1; j-- > 0;) {
      if (pattern[i] == "**") {
        // Zero components (not for a final "**"), or one more component.
        const bool none = !last && matches[i + 1][j];
        const bool more =
            j < names.size() && (matches[i][j + 1] || (last && j + 1 == names.size()));
        matches[i][j] = none || more;
      } else {
        matches[i][j] =
            j < names.size() && component_matches(pattern[i], names[j]) && matches[i + 1][j + 1];
      }
    }
  }
  return matches[0][0] != 0;
}

bool Tenant::allows_repository(std::string_view path) const {
  return std::any_of(repositories.begin(), repositories.end(),
                     [&](const std::string& glob) { return repository_glob_matches(glob, path); });
}

bool Tenant::allows_policy(std::string_view policy) const {
  return std::any_of(policies.begin(), policies.end(), [&](const std::string& allowed) {
    return allowed == "*" || allowed == policy;
  });
}

TenantDirectory::TenantDirectory(const std::vector<TenantConfig>& tenants) {
  for (const auto& config : tenants) {
    std::vector<std::string> globs;
    for (const auto& glob : config.repositories) globs.push_back(canonical_glob(glob));
    auto tenant = std::make_shared<const Tenant>(Tenant{config.name, config.policies, config.quotas,
                                                        std::move(globs), config.max_bundle_bytes});
    for (const auto& hash : config.token_hashes) credentials_.push_back({hash, tenant});
    by_name_[config.name] = tenant;
  }
}

std::shared_ptr<const Tenant> TenantDirectory::authenticate(std::string_view token) const {
  if (token.empty()) return nullptr;
  const TokenHash presented = sha256(token);
  std::shared_ptr<const Tenant> found;
  // No early exit: the time taken does not depend on which credential (if any) matches.
  for (const auto& credential : credentials_) {
    const bool equal =
        CRYPTO_memcmp(credential.hash.data(), presented.data(), presented.size()) == 0;
    if (equal) found = credential.tenant;
  }
  return found;
}

std::shared_ptr<const Tenant> TenantDirectory::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::string token_sha256_hex(std::string_view token) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (uint8_t byte : sha256(token)) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 15];
  }
  return hex;
}

std::optional<std::string> bearer_token(std::string_view authorization) {
  authorization = base::trim(authorization);
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() <= scheme.size()) return std::nullopt;
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i])
      return std::nullopt;
  std::string_view token = base::trim(authorization.substr(scheme.size()));
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

std::optional<std::string> subprotocol_token(std::string_view protocols) {
  constexpr std::string_view prefix = "agentd.bearer.";
  while (!protocols.empty()) {
    const size_t comma = protocols.find(',');
    std::string_view item = base::trim(protocols.substr(0, comma));
    if (item.size() > prefix.size() && item.substr(0, prefix.size()) == prefix)
      return std::string(item.substr(prefix.size()));
    if (comma == std::string_view::npos) break;
    protocols.remove_prefix(comma + 1);
  }
  return std::nullopt;
}

}  // namespace agentd
