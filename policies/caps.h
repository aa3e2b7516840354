// policies::Caps: the server-wide ceiling every policy is clamped to, from the operator's
// configuration (the daemon's config file, or `agentd-policy check --caps FILE`).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "policies/diagnostic.h"
#include "policies/document.h"
#include "policies/policy.h"

namespace policies {

struct Caps {
  Limits limits;  // the most any sandbox gets, field by field
  uint32_t max_gpus = 0;
  // Hosts http_get may ever reach; a policy's host outside these is dropped. nullopt: the
  // operator sets no list, each policy's own allowlist stands.
  std::optional<std::vector<std::string>> http_hosts;
  uint64_t http_max_response_bytes = 0;
  std::chrono::milliseconds http_timeout{0};
  bool allow_private_cidrs = false;  // whether policies may open private address ranges
  bool allow_host_network = false;
  LlmBudget budget;  // maxima
};

// The built-in caps (docs/policies.md lists them), used when the operator gives none.
Caps default_caps();

// Caps from a parsed document (every field optional, defaults as above).
Validated<Caps> read_caps(const Document& document);
// Caps from a JSON value that is part of a larger configuration; `origin` names it.
Validated<Caps> read_caps(const nlohmann::json& value, std::string origin);
Validated<Caps> load_caps_file(const std::filesystem::path& path);

nlohmann::json to_json(const Caps& caps);

}  // namespace policies
