#include "daemon/tenants.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include "base/strings.h"

namespace agentd {
namespace {

TokenHash sha256(std::string_view text) {
  TokenHash hash{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), hash.data(), &length, EVP_sha256(), nullptr);
  return hash;
}

}  // namespace

bool Tenant::allows_policy(std::string_view policy) const {
  return std::any_of(policies.begin(), policies.end(), [&](const std::string& allowed) {
    return allowed == "*" || allowed == policy;
  });
}

TenantDirectory::TenantDirectory(const std::vector<TenantConfig>& tenants) {
  for (const auto& config : tenants) {
    auto tenant =
        std::make_shared<const Tenant>(Tenant{config.name, config.policies, config.quotas});
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
