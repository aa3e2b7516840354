#include "policies/compile.h"

#include <algorithm>
#include <functional>

#include "base/size.h"
#include "policies/url.h"
#include "policies/value_checks.h"

namespace policies {
namespace {

std::string count_text(uint64_t value) {
  return std::to_string(value);
}
std::string size_text(uint64_t value) {
  return base::format_size(value);
}
std::string duration_text(std::chrono::milliseconds value) {
  return format_duration(value);
}
std::string cores_text(uint32_t millicores) {
  return millicores % 1000 == 0 ? std::to_string(millicores / 1000)
                                : nlohmann::json(millicores / 1000.0).dump();
}

class Clamper {
 public:
  explicit Clamper(std::vector<std::string>& notes) : notes_(notes) {}

  template <class T, class Format>
  void clamp(const char* pointer, T& value, T cap, Format format) {
    if (value <= cap) return;
    notes_.push_back(std::string("clamped ") + pointer + " from " + format(value) + " to " +
                     format(cap));
    value = cap;
  }

  void note(std::string text) { notes_.push_back(std::move(text)); }

 private:
  std::vector<std::string>& notes_;
};

void clamp_limits(Limits& limits, const Limits& cap, Clamper& clamper) {
  clamper.clamp("/limits/memory", limits.memory_bytes, cap.memory_bytes, size_text);
  clamper.clamp("/limits/pids", limits.pids, cap.pids, count_text);
  clamper.clamp("/limits/cpu", limits.cpu_millicores, cap.cpu_millicores, cores_text);
  clamper.clamp("/limits/cpu_weight", limits.cpu_weight, cap.cpu_weight, count_text);
  clamper.clamp("/limits/cpu_time", limits.cpu_time, cap.cpu_time, duration_text);
  clamper.clamp("/limits/wall_time", limits.wall_time, cap.wall_time, duration_text);
  clamper.clamp("/limits/output", limits.output_bytes, cap.output_bytes, size_text);
  clamper.clamp("/limits/file_size", limits.file_size_bytes, cap.file_size_bytes, size_text);
  clamper.clamp("/limits/open_files", limits.open_files, cap.open_files, count_text);
  clamper.clamp("/limits/tmp_size", limits.tmp_bytes, cap.tmp_bytes, size_text);
  clamper.clamp("/limits/workspace_size", limits.workspace_bytes, cap.workspace_bytes, size_text);
  clamper.clamp("/limits/shm_size", limits.shm_bytes, cap.shm_bytes, size_text);
}

void clamp_http(HttpGetScope& http, const Caps& caps, Clamper& clamper) {
  if (!http.allowed) return;
  if (caps.http_hosts) {
    std::vector<std::string> kept;
    for (const std::string& host : http.allow_hosts) {
      bool within = std::any_of(caps.http_hosts->begin(), caps.http_hosts->end(),
                                [&](const std::string& cap) { return pattern_within(host, cap); });
      if (within) {
        kept.push_back(host);
      } else {
        clamper.note("dropped " + quote(host) +
                     " from /tools/http_get/allow_hosts: not among the server's allowed hosts");
      }
    }
    http.allow_hosts = std::move(kept);
  }
  if (!caps.allow_private_cidrs) {
    for (const std::string& cidr : http.allow_private_cidrs) {
      clamper.note("dropped " + quote(cidr) +
                   " from /tools/http_get/allow_private_cidrs: the server allows no private "
                   "address ranges");
    }
    http.allow_private_cidrs.clear();
  }
  clamper.clamp("/tools/http_get/max_response_size", http.max_response_bytes,
                caps.http_max_response_bytes, size_text);
  clamper.clamp("/tools/http_get/timeout", http.timeout, caps.http_timeout, duration_text);
}

Policy clamp(Policy policy, const Caps& caps, std::vector<std::string>& notes) {
  Clamper clamper(notes);
  clamp_limits(policy.limits, caps.limits, clamper);
  clamper.clamp("/gpu/count", policy.scope.gpu.count, caps.max_gpus, count_text);
  clamp_http(policy.scope.http_get, caps, clamper);
  if (policy.network == sandbox::NetworkMode::host && !caps.allow_host_network) {
    clamper.note("clamped /network from host to none: the server does not allow host networking");
    policy.network = sandbox::NetworkMode::none;
  }
  LlmBudget& budget = policy.scope.budget;
  clamper.clamp("/budget/max_turns", budget.max_turns, caps.budget.max_turns, count_text);
  clamper.clamp("/budget/max_tool_calls", budget.max_tool_calls, caps.budget.max_tool_calls,
                count_text);
  clamper.clamp("/budget/max_tokens", budget.max_tokens, caps.budget.max_tokens, count_text);
  return policy;
}

void set_env(std::vector<std::string>& env, const std::string& name, const std::string& value) {
  std::string prefix = name + "=";
  auto existing = std::find_if(env.begin(), env.end(), [&](const std::string& entry) {
    return entry.compare(0, prefix.size(), prefix) == 0;
  });
  if (existing != env.end()) {
    *existing = prefix + value;
  } else {
    env.push_back(prefix + value);
  }
}

sandbox::Spec spec_for(const Policy& policy) {
  sandbox::Spec spec = sandbox::default_spec({});
  const Limits& limits = policy.limits;
  spec.limits.memory_bytes = limits.memory_bytes;
  spec.limits.pids = limits.pids;
  spec.limits.cpu_millicores = limits.cpu_millicores;
  spec.limits.cpu_weight = limits.cpu_weight;
  spec.limits.cpu_time = limits.cpu_time;
  spec.limits.wall_time = limits.wall_time;
  spec.limits.file_size_bytes = limits.file_size_bytes;
  spec.limits.open_files = limits.open_files;
  spec.limits.stdout_bytes = limits.output_bytes;
  spec.limits.stderr_bytes = limits.output_bytes;
  for (sandbox::Mount& mount : spec.mounts) {
    if (mount.type == sandbox::MountType::dev) mount.size_bytes = limits.shm_bytes;
    if (mount.type != sandbox::MountType::tmpfs) continue;
    if (mount.target == "/tmp") mount.size_bytes = limits.tmp_bytes;
    if (mount.target == "/workspace") mount.size_bytes = limits.workspace_bytes;
  }
  spec.network = policy.network;
  spec.seccomp = sandbox::SeccompChoice{policy.seccomp_filter, false};
  for (const auto& [name, value] : policy.env) set_env(spec.env, name, value);
  return spec;
}

}  // namespace

Compiled compile(const Policy& policy, const Caps& caps) {
  Compiled compiled;
  compiled.effective = clamp(policy, caps, compiled.notes);
  compiled.scope = compiled.effective.scope;
  compiled.spec = spec_for(compiled.effective);
  return compiled;
}

sandbox::Spec bind_workspace(sandbox::Spec spec, const std::string& host_dir,
                             WorkspaceAccess access) {
  sandbox::MountType type = access == WorkspaceAccess::read_write ? sandbox::MountType::rw_bind
                                                                  : sandbox::MountType::ro_bind;
  std::erase_if(spec.mounts,
                [](const sandbox::Mount& mount) { return mount.target == "/workspace"; });
  spec.mounts.push_back(sandbox::Mount{type, host_dir, "/workspace", 0});
  return spec;
}

}  // namespace policies
