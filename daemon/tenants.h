// Tenants: who may connect (bearer tokens, stored only as SHA-256 hashes and compared in
// constant time), which policies and host repositories each may use, and its quotas. Rebuilt from
// the configuration on SIGHUP; sessions keep the tenant's name and look it up per request, so a
// reload applies at once without dropping connections.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config.h"

namespace agentd {

struct Tenant {
  std::string name;
  std::vector<std::string> policies;  // may contain "*"
  Quotas quotas;
  // Globs of canonical host paths (repository_glob_problem says which are globs); none: no
  // repository by path.
  std::vector<std::string> repositories{};
  uint64_t max_bundle_bytes = kMaxBundleBytes;

  bool allows_policy(std::string_view policy) const;
  // `path` must be canonical (realpath): a glob only ever vouches for where a path really is.
  bool allows_repository(std::string_view path) const;
};

class TenantDirectory {
 public:
  explicit TenantDirectory(const std::vector<TenantConfig>& tenants);

  // The tenant holding `token`; null for an unknown token. Every stored hash is compared, in
  // constant time, whatever matches.
  std::shared_ptr<const Tenant> authenticate(std::string_view token) const;
  std::shared_ptr<const Tenant> find(std::string_view name) const;
  size_t size() const { return by_name_.size(); }

 private:
  struct Credential {
    TokenHash hash;
    std::shared_ptr<const Tenant> tenant;
  };
  std::vector<Credential> credentials_;
  std::map<std::string, std::shared_ptr<const Tenant>, std::less<>> by_name_;
};

// Why `glob` is no repository glob (absolute, components without "." or "..", "*" matching
// within one component, "**" alone as a component), or nothing when it is one.
std::optional<std::string> repository_glob_problem(std::string_view glob);
// Whether absolute `path` matches `glob`: "*" any characters of one component, "**" any number
// of components (at least one when it ends the glob: "/src/**" names what lies below /src).
bool repository_glob_matches(std::string_view glob, std::string_view path);

// Lower-case hex SHA-256 of `token`: what a tenant's token_sha256 holds (`sha256sum`).
std::string token_sha256_hex(std::string_view token);

// "Bearer TOKEN" (scheme case-insensitive) → TOKEN.
std::optional<std::string> bearer_token(std::string_view authorization);
// Browsers cannot set headers: "agentd.v1, agentd.bearer.TOKEN" in Sec-WebSocket-Protocol.
std::optional<std::string> subprotocol_token(std::string_view protocols);

}  // namespace agentd
