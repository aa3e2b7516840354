// agentd's configuration file (JSON, comments allowed): what `agentd --config FILE` reads and
// `agentd --check-config` validates. systemd/agentd.example.json shows every key; errors name
// the JSON pointer of the key and what was expected.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agents/llm/chat.h"
#include "base/expected.h"
#include "policies/caps.h"

namespace agentd {

struct ListenConfig {
  std::string address = "127.0.0.1";  // empty: no TCP listener
  uint16_t port = 7878;               // 0: the kernel picks one (tests)
  std::string unix_path;              // empty: no unix socket
  uint32_t unix_mode = 0660;          // who may connect to the unix socket
};

struct TlsConfig {
  std::string cert;  // PEM certificate chain; with `key`, the TCP port speaks wss:// only
  std::string key;
  bool enabled() const { return !cert.empty(); }
};

struct JournalConfig {
  std::string path = "/var/lib/agentd/journal.db";
  uint32_t retention_days = 30;        // finished tasks older than this are pruned; 0: never
  std::chrono::milliseconds batch{5};  // how long event writes may wait to share a commit
};

struct Quotas {
  uint32_t concurrent_tasks = 4;  // queued + running tasks
  uint32_t agents = 64;           // agents the tenant's running tasks may start at most
  uint32_t sandboxes = 8;         // concurrent exec.run sandboxes
  uint64_t tokens_per_day = 0;    // LLM tokens per UTC day; 0: no limit
};

using TokenHash = std::array<uint8_t, 32>;  // SHA-256 of the bearer token

// The most a task's repository.bundle may hold: the task spec's parser caps bundles here too.
constexpr uint64_t kMaxBundleBytes = uint64_t(32) << 20;

// Repository tasks (docs/repositories.md), server-wide.
struct RepositoriesConfig {
  uint64_t max_bundle_bytes = kMaxBundleBytes;  // a bundle a client uploads, decoded
};

struct TenantConfig {
  std::string name;
  std::vector<TokenHash> token_hashes;  // several, so that tokens can be rotated
  std::vector<std::string> policies;    // names it may use; "*": every loaded policy
  Quotas quotas;
  // Globs of absolute host paths ("/srv/git/*", "/home/alice/src/**") naming the repositories
  // its tasks may use by path; none by default.
  std::vector<std::string> repositories{};
  // repositories.max_bundle_bytes, copied here so that a tenant carries all its submissions are
  // checked against (and a reload replaces it with the rest).
  uint64_t max_bundle_bytes = kMaxBundleBytes;
};

struct Limits {
  uint64_t max_message_bytes = 1 << 20;
  uint64_t max_frame_bytes = 1 << 20;
  uint32_t connections_per_tenant = 16;
  double requests_per_second = 50;  // per connection, token bucket
  double request_burst = 100;
  std::chrono::milliseconds idle_timeout{120'000};  // without a frame or a pong
  std::chrono::milliseconds ping_interval{30'000};
  uint64_t send_queue_bytes = 4 << 20;  // per connection; more disconnects the client
  uint32_t max_batch = 16;
  uint32_t max_subscriptions = 256;  // per connection
  uint32_t max_running_tasks = 64;   // server-wide; more wait queued
};

struct ShutdownConfig {
  std::chrono::milliseconds drain{30'000};  // SIGTERM: how long running tasks may finish
};

struct SandboxConfig {
  uint32_t first_host_id = 2'000'000'000;
  uint32_t host_id_count = 1000;
  std::string cgroup_parent;  // empty: under the daemon's own cgroup
  std::string id_lock_dir = "/run/agentd/ids";
  std::string workspace_root = "/var/lib/agentd/workspaces";  // agent and exec.run workspaces
};

// GPUs for policies that grant some: discovered at start when the server is asked to (it is,
// outside tests), leased to run_code sandboxes. Read at start only.
struct GpuConfig {
  std::string root = "/";  // where discovery finds proc/driver/nvidia and dev/nvidia*
  std::string ld_cache = "/etc/ld.so.cache";       // the linker cache naming the driver's libraries
  std::string nvml_library = "libnvidia-ml.so.1";  // empty: discovery does not load NVML
  std::string staging_dir = "/run/agentd/gpu";     // the curated /proc/driver/nvidia files
  std::chrono::milliseconds max_wait{60'000};      // a run_code waits this long for its GPUs
  uint32_t max_sharers = 4;  // sandboxes on one GPU at once under non-exclusive policies
};

struct Config {
  std::string file;  // where it was read from (SIGHUP reads it again)
  ListenConfig listen;
  TlsConfig tls;
  JournalConfig journal;
  std::vector<std::string> policy_dirs;
  policies::Caps caps = policies::default_caps();
  std::vector<agents::llm::ModelConfig> models;
  // role name (or "*") → {model, policy, system_prompt}: fills what a task's roles leave out.
  nlohmann::json roles_default = nlohmann::json::object();
  std::vector<TenantConfig> tenants;
  RepositoriesConfig repositories;
  Limits limits;
  ShutdownConfig shutdown;
  SandboxConfig sandbox;
  GpuConfig gpu;
};

// `origin` names the text in errors. All errors are reported together, one per line.
base::Expected<Config> parse_config(const nlohmann::json& document, const std::string& origin);
// Reads FILE (JSON with // and /* */ comments).
base::Expected<Config> load_config(const std::string& file);

}  // namespace agentd
