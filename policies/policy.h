// policies::Policy: one agent's policy after loading, validation and `extends` merging, as
// typed values. docs/policies.md documents each field; schema.cc holds the defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "policies/tool_scope.h"
#include "sandbox/seccomp.h"
#include "sandbox/spec.h"

namespace policies {

enum class WorkspaceAccess { read_only, read_write };

// What a sandbox gets (in a policy) or the most any sandbox gets (in the server's caps).
struct Limits {
  uint64_t memory_bytes = 0;
  uint32_t pids = 0;
  uint32_t cpu_millicores = 0;
  uint32_t cpu_weight = 0;
  std::chrono::milliseconds cpu_time{0};
  std::chrono::milliseconds wall_time{0};
  uint64_t output_bytes = 0;  // each of stdout and stderr
  uint64_t file_size_bytes = 0;
  uint32_t open_files = 0;
  uint64_t tmp_bytes = 0;        // tmpfs /tmp
  uint64_t workspace_bytes = 0;  // tmpfs /workspace, when no host directory is bound
  uint64_t shm_bytes = 0;        // /dev/shm
};

struct Policy {
  std::string name;  // "coder", or a file's name without ".json"
  std::string description;
  std::vector<std::string> sources;  // the files merged, the policy extended first
  ToolScope scope;                   // tools, GPU and LLM budget
  Limits limits;
  sandbox::NetworkMode network = sandbox::NetworkMode::none;
  bool allow_host_network = false;
  WorkspaceAccess workspace = WorkspaceAccess::read_only;
  std::string seccomp = "default";             // "default", or the profile file's resolved path
  sandbox::seccomp::FilterPtr seccomp_filter;  // null: the built-in default profile
  std::map<std::string, std::string> env;
};

// The policy in file form, every field present: what `agentd-policy check` prints. Loading it
// back gives the same policy.
nlohmann::json to_json(const Policy& policy);

// Reads limits and budgets from a validated object with defaults filled in.
Limits read_limits(const nlohmann::json& limits);
LlmBudget read_budget(const nlohmann::json& budget);
nlohmann::json limits_to_json(const Limits& limits);
nlohmann::json budget_to_json(const LlmBudget& budget);

}  // namespace policies
