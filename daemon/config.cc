#include "daemon/config.h"

#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "agents/llm/config.h"
#include "base/json_fields.h"
#include "base/json_pointer.h"
#include "daemon/config_reader.h"
#include "daemon/tenants.h"
#include "policies/document.h"

namespace agentd {
namespace {

using config::Reader;
using nlohmann::json;

constexpr uint64_t kGiB = 1ull << 30;

void read_listen(Reader r, ListenConfig& listen) {
  r.only({"address", "port", "unix", "unix_mode"});
  r.string("address", listen.address);
  uint32_t port = listen.port;
  r.count("port", port, 0, 65535);
  listen.port = static_cast<uint16_t>(port);
  r.string("unix", listen.unix_path);
  if (!listen.unix_path.empty() && listen.unix_path.front() != '/')
    r.error("unix", "expected an absolute path, got \"" + listen.unix_path + "\"");
  r.count("unix_mode", listen.unix_mode, 0, 0777);
  if (listen.address.empty() && listen.unix_path.empty())
    r.error("address", "nothing to listen on: set listen.address or listen.unix");
}

void read_tls(Reader r, TlsConfig& tls) {
  r.only({"cert", "key"});
  r.string("cert", tls.cert);
  r.string("key", tls.key);
  if (tls.cert.empty() != tls.key.empty())
    r.error(tls.cert.empty() ? "cert" : "key", "tls needs both cert and key");
}

void read_journal(Reader r, JournalConfig& journal) {
  r.only({"path", "retention_days", "batch_ms"});
  r.string("path", journal.path, true);
  r.count("retention_days", journal.retention_days, 0, 36500);
  uint32_t batch_ms = static_cast<uint32_t>(journal.batch.count());
  r.count("batch_ms", batch_ms, 0, 1000);
  journal.batch = std::chrono::milliseconds(batch_ms);
}

void read_limits(Reader r, Limits& limits) {
  r.only({"max_message_bytes", "max_frame", "connections_per_tenant", "requests_per_second",
          "request_burst", "idle_timeout", "ping_interval", "send_queue_bytes", "max_batch",
          "max_subscriptions", "max_running_tasks"});
  r.count("max_message_bytes", limits.max_message_bytes, 1024, kGiB);
  limits.max_frame_bytes = limits.max_message_bytes;
  r.count("max_frame", limits.max_frame_bytes, 1024, kGiB);
  r.count("connections_per_tenant", limits.connections_per_tenant, 1, 100'000);
  r.number("requests_per_second", limits.requests_per_second, 0.01, 1e6);
  r.number("request_burst", limits.request_burst, 1, 1e6);
  r.seconds("idle_timeout", limits.idle_timeout, 0.05, 86400);
  r.seconds("ping_interval", limits.ping_interval, 0.01, 86400);
  r.count("send_queue_bytes", limits.send_queue_bytes, 4096, 16 * kGiB);
  r.count("max_batch", limits.max_batch, 1, 1000);
  r.count("max_subscriptions", limits.max_subscriptions, 1, 100'000);
  r.count("max_running_tasks", limits.max_running_tasks, 1, 100'000);
}

void read_repositories(Reader r, RepositoriesConfig& repositories) {
  r.only({"max_bundle_bytes"});
  r.count("max_bundle_bytes", repositories.max_bundle_bytes, 0, kMaxBundleBytes);
}

void read_sandbox(Reader r, SandboxConfig& sandbox) {
  r.only({"first_host_id", "host_id_count", "cgroup_parent", "id_lock_dir", "workspace_root"});
  r.count("first_host_id", sandbox.first_host_id, 1, 4'000'000'000u);
  r.count("host_id_count", sandbox.host_id_count, 1, 1'000'000);
  r.string("cgroup_parent", sandbox.cgroup_parent);
  r.string("id_lock_dir", sandbox.id_lock_dir, true);
  r.string("workspace_root", sandbox.workspace_root, true);
  if (!sandbox.workspace_root.empty() && sandbox.workspace_root.front() != '/')
    r.error("workspace_root", "expected an absolute path");
}

void read_gpu(Reader r, GpuConfig& gpu) {
  r.only({"root", "ld_cache", "nvml_library", "staging_dir", "max_wait", "max_sharers"});
  r.string("root", gpu.root, true);
  r.string("ld_cache", gpu.ld_cache, true);
  r.string("nvml_library", gpu.nvml_library);
  r.string("staging_dir", gpu.staging_dir, true);
  for (auto [key, path] : {std::pair{"root", &gpu.root}, std::pair{"ld_cache", &gpu.ld_cache},
                           std::pair{"staging_dir", &gpu.staging_dir}})
    if (!path->empty() && path->front() != '/') r.error(key, "expected an absolute path");
  r.seconds("max_wait", gpu.max_wait, 0.001, 86400);
  r.count("max_sharers", gpu.max_sharers, 1, 64);
}

bool parse_hex_hash(const std::string& hex, TokenHash& out) {
  static const std::regex pattern("^[0-9a-fA-F]{64}$");
  if (!std::regex_match(hex, pattern)) return false;
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  return true;
}

void read_token_hashes(Reader& r, TenantConfig& tenant) {
  const json* value = r.find("token_sha256");
  if (!value) return r.error("token_sha256", "required: the SHA-256 (hex) of the bearer token");
  std::vector<std::string> hexes;
  if (value->is_string())
    hexes.push_back(value->get<std::string>());
  else
    r.strings("token_sha256", hexes);
  if (hexes.empty()) r.error("token_sha256", "expected a hex SHA-256 string or a list of them");
  for (const auto& hex : hexes) {
    TokenHash hash{};
    if (!parse_hex_hash(hex, hash)) {
      r.error("token_sha256",
              "expected 64 hex digits (sha256sum of the token), got \"" + hex.substr(0, 70) + "\"");
      continue;
    }
    tenant.token_hashes.push_back(hash);
  }
}

void read_repository_globs(Reader& r, TenantConfig& tenant) {
  r.strings("repositories", tenant.repositories);
  for (size_t i = 0; i < tenant.repositories.size(); ++i)
    if (auto problem = repository_glob_problem(tenant.repositories[i]))
      r.error("repositories", i, *problem);
}

TenantConfig read_tenant(Reader r) {
  TenantConfig tenant;
  r.only({"name", "token_sha256", "policies", "repositories", "quotas"});
  r.string("name", tenant.name, true);
  static const std::regex name_pattern("^[A-Za-z0-9._-]{1,64}$");
  if (!r.find("name"))
    r.error("name", "required");
  else if (!tenant.name.empty() && !std::regex_match(tenant.name, name_pattern))
    r.error("name", "expected 1 to 64 of A-Z a-z 0-9 . _ -");
  read_token_hashes(r, tenant);
  r.strings("policies", tenant.policies);
  read_repository_globs(r, tenant);
  Reader q = r.child("quotas");
  q.only({"concurrent_tasks", "agents", "sandboxes", "tokens_per_day"});
  q.count("concurrent_tasks", tenant.quotas.concurrent_tasks, 0, 100'000);
  q.count("agents", tenant.quotas.agents, 0, 1'000'000);
  q.count("sandboxes", tenant.quotas.sandboxes, 0, 100'000);
  q.count("tokens_per_day", tenant.quotas.tokens_per_day, 0, uint64_t(1) << 50);
  return tenant;
}

void read_tenants(const json& document, std::vector<std::string>& errors,
                  std::vector<TenantConfig>& tenants) {
  auto it = document.find("tenants");
  if (it == document.end()) return;
  if (!it->is_array()) {
    errors.push_back("/tenants: expected an array of tenants, got " + base::shown(*it));
    return;
  }
  std::set<std::string> names;
  std::set<TokenHash> hashes;
  for (size_t i = 0; i < it->size(); ++i) {
    const std::string pointer = base::json_pointer_append("/tenants", i);
    TenantConfig tenant = read_tenant(Reader((*it)[i], pointer, errors));
    if (!tenant.name.empty() && !names.insert(tenant.name).second)
      errors.push_back(pointer + "/name: tenant \"" + tenant.name + "\" is defined twice");
    for (const auto& hash : tenant.token_hashes)
      if (!hashes.insert(hash).second)
        errors.push_back(pointer + "/token_sha256: the same token belongs to another tenant");
    tenants.push_back(std::move(tenant));
  }
}

void read_roles_default(const json& document, std::vector<std::string>& errors,
                        const std::vector<agents::llm::ModelConfig>& models, json& roles) {
  auto it = document.find("roles_default");
  if (it == document.end()) return;
  Reader r(*it, "/roles_default", errors);
  if (!r.is_object()) return;
  for (const auto& [role, value] : it->items()) {
    Reader role_reader = r.child(role);
    role_reader.only({"model", "policy", "system_prompt"});
    std::string model;
    std::string policy;
    std::string prompt;
    role_reader.string("model", model, true);
    role_reader.string("policy", policy, true);
    role_reader.string("system_prompt", prompt);
    bool known = model.empty();
    for (const auto& m : models) known = known || m.name == model;
    if (!known) role_reader.error("model", "no configured model is named \"" + model + "\"");
  }
  roles = *it;
}

void read_models(const json& document, std::vector<std::string>& errors,
                 std::vector<agents::llm::ModelConfig>& models) {
  auto it = document.find("models");
  if (it == document.end()) return;
  auto parsed = agents::llm::parse_models(json{{"models", *it}});
  if (!parsed)
    errors.push_back(parsed.error().message);
  else
    models = std::move(parsed.value());
}

void read_caps(const json& document, const std::string& origin, std::vector<std::string>& errors,
               policies::Caps& caps) {
  auto it = document.find("caps");
  if (it == document.end()) return;
  auto read = policies::read_caps(*it, origin + ": caps");
  if (!read.ok()) {
    for (const auto& d : read.errors) errors.push_back("/caps" + d.pointer + ": " + d.message);
  } else {
    caps = std::move(*read.value);
  }
}

}  // namespace

base::Expected<Config> parse_config(const json& document, const std::string& origin) {
  std::vector<std::string> errors;
  Config config;
  config.file = origin;
  Reader top(document, "", errors);
  top.only({"listen", "tls", "journal", "policies", "caps", "models", "roles_default", "tenants",
            "repositories", "limits", "shutdown", "sandbox", "gpu"});
  if (top.is_object()) {
    read_listen(top.child("listen"), config.listen);
    read_tls(top.child("tls"), config.tls);
    read_journal(top.child("journal"), config.journal);
    Reader policies_section = top.child("policies");
    policies_section.only({"dirs"});
    policies_section.strings("dirs", config.policy_dirs);
    read_caps(document, origin, errors, config.caps);
    read_models(document, errors, config.models);
    read_roles_default(document, errors, config.models, config.roles_default);
    read_tenants(document, errors, config.tenants);
    read_repositories(top.child("repositories"), config.repositories);
    for (TenantConfig& tenant : config.tenants)
      tenant.max_bundle_bytes = config.repositories.max_bundle_bytes;
    read_limits(top.child("limits"), config.limits);
    Reader shutdown = top.child("shutdown");
    shutdown.only({"drain_seconds"});
    shutdown.seconds("drain_seconds", config.shutdown.drain, 0, 86400);
    read_sandbox(top.child("sandbox"), config.sandbox);
    read_gpu(top.child("gpu"), config.gpu);
  }
  if (errors.empty()) return config;
  std::string message;
  for (const auto& e : errors) message += origin + ": " + e + "\n";
  message.pop_back();
  return base::Error{message};
}

base::Expected<Config> load_config(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return base::Error{file + ": cannot read the configuration: " + std::strerror(errno)};
  std::stringstream text;
  text << in.rdbuf();
  auto document = policies::parse_document(text.str(), file);
  if (!document.ok()) return policies::to_error(document.errors);
  return parse_config(document.value->value, file);
}

}  // namespace agentd
