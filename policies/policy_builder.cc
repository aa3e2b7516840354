#include "policies/policy_builder.h"

#include <algorithm>
#include <filesystem>

#include "policies/schema.h"
#include "policies/source.h"
#include "policies/value_checks.h"

namespace policies {
namespace {

using nlohmann::json;

std::vector<std::string> strings(const json& list) {
  return list.get<std::vector<std::string>>();
}

// The tools object is the schema-checked document, where every key is a std::string.
const json& tool_entry(const json& tools, Tool tool) {
  return tools.at(std::string(to_string(tool)));
}

FileScope file_scope(const json& tools, Tool tool) {
  if (!tools.contains(to_string(tool))) return {};
  return FileScope{true, strings(tool_entry(tools, tool)["paths"])};
}

RunCodeScope run_code_scope(const json& tools) {
  RunCodeScope scope;
  if (!tools.contains(to_string(Tool::run_code))) return scope;
  scope.allowed = true;
  for (const json& name : tool_entry(tools, Tool::run_code)["languages"]) {
    std::optional<Language> language = parse_language(name.get<std::string>());
    if (language && std::find(scope.languages.begin(), scope.languages.end(), *language) ==
                        scope.languages.end()) {
      scope.languages.push_back(*language);
    }
  }
  return scope;
}

HttpGetScope http_get_scope(const json& tools) {
  HttpGetScope scope;
  if (!tools.contains(to_string(Tool::http_get))) return scope;
  const json& http = tool_entry(tools, Tool::http_get);
  scope.allowed = true;
  scope.allow_hosts = strings(http["allow_hosts"]);
  scope.methods = strings(http["methods"]);
  scope.max_response_bytes = read_size(http["max_response_size"]);
  scope.timeout = read_duration(http["timeout"]);
  scope.allow_private_cidrs = strings(http["allow_private_cidrs"]);
  return scope;
}

ToolScope tool_scope(const json& full, const std::string& name) {
  ToolScope scope;
  scope.policy_name = name;
  const json& tools = full["tools"];
  scope.run_code = run_code_scope(tools);
  scope.read_file = file_scope(tools, Tool::read_file);
  scope.write_file = file_scope(tools, Tool::write_file);
  scope.list_files = file_scope(tools, Tool::list_files);
  scope.http_get = http_get_scope(tools);
  scope.edit_file = file_scope(tools, Tool::edit_file);
  scope.search = file_scope(tools, Tool::search);
  scope.apply_patch = file_scope(tools, Tool::apply_patch);
  scope.git_diff.allowed = tools.contains(to_string(Tool::git_diff));
  scope.gpu = GpuScope{full["gpu"]["count"].get<uint32_t>(), full["gpu"]["exclusive"].get<bool>()};
  scope.budget = read_budget(full["budget"]);
  return scope;
}

void check_network(const MergedDocument& merged, Policy& policy, Diagnostics& errors) {
  if (policy.network == sandbox::NetworkMode::host && !policy.allow_host_network) {
    errors.push_back(merged.at("/network",
                               "network \"host\" gives sandboxed code the host's network; it "
                               "needs \"allow_host_network\": true in the policy (and the "
                               "server's caps must allow it)"));
  }
}

void resolve_seccomp(const MergedDocument& merged, const LoadOptions& options, Policy& policy,
                     Diagnostics& errors) {
  if (policy.seccomp == "default") return;
  const Document* origin = merged.origin("/seccomp");
  if (origin == nullptr) return;
  auto path = resolve_file(policy.seccomp, *origin, options);
  if (!path) {
    errors.push_back(merged.at("/seccomp", path.error().message));
    return;
  }
  auto filter = sandbox::seccomp::load_profile_file(path->string());
  if (!filter) {
    errors.push_back(merged.at("/seccomp", "seccomp profile " + quote(path->string()) +
                                               " does not load: " + filter.error().message));
    return;
  }
  policy.seccomp = std::filesystem::absolute(path.value()).string();
  policy.seccomp_filter = std::move(filter.value());
}

}  // namespace

Validated<Policy> build_policy(const MergedDocument& merged, std::string name,
                               std::vector<std::string> sources, const LoadOptions& options) {
  const json full = with_defaults(policy_schema(), merged.value());
  Policy policy;
  policy.name = std::move(name);
  policy.description = full["description"].get<std::string>();
  policy.sources = std::move(sources);
  policy.scope = tool_scope(full, policy.name);
  policy.limits = read_limits(full["limits"]);
  policy.network =
      full["network"] == "host" ? sandbox::NetworkMode::host : sandbox::NetworkMode::none;
  policy.allow_host_network = full["allow_host_network"].get<bool>();
  policy.workspace =
      full["workspace"] == "read-write" ? WorkspaceAccess::read_write : WorkspaceAccess::read_only;
  policy.seccomp = full["seccomp"].get<std::string>();
  policy.env = full["env"].get<std::map<std::string, std::string>>();

  Validated<Policy> result;
  check_network(merged, policy, result.errors);
  resolve_seccomp(merged, options, policy, result.errors);
  if (result.errors.empty()) result.value = std::move(policy);
  return result;
}

}  // namespace policies
