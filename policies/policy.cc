#include "policies/policy.h"

#include "base/size.h"
#include "policies/value_checks.h"

namespace policies {
namespace {

using nlohmann::json;

json cores(uint32_t millicores) {
  if (millicores % 1000 == 0) return millicores / 1000;
  return millicores / 1000.0;
}

json languages_to_json(const std::vector<Language>& languages) {
  json names = json::array();
  for (Language language : languages) names.push_back(to_string(language));
  return names;
}

json tools_to_json(const ToolScope& scope) {
  json tools = json::object();
  if (scope.run_code.allowed)
    tools[std::string(to_string(Tool::run_code))] = {
        {"languages", languages_to_json(scope.run_code.languages)}};
  const std::pair<Tool, const FileScope*> file_tools[] = {
      {Tool::read_file, &scope.read_file},   {Tool::write_file, &scope.write_file},
      {Tool::list_files, &scope.list_files}, {Tool::edit_file, &scope.edit_file},
      {Tool::search, &scope.search},         {Tool::apply_patch, &scope.apply_patch}};
  for (const auto& [tool, file_scope] : file_tools) {
    if (file_scope->allowed) tools[std::string(to_string(tool))] = {{"paths", file_scope->globs}};
  }
  if (scope.http_get.allowed) {
    const HttpGetScope& http = scope.http_get;
    tools[std::string(to_string(Tool::http_get))] = {
        {"allow_hosts", http.allow_hosts},
        {"methods", http.methods},
        {"max_response_size", base::format_size(http.max_response_bytes)},
        {"timeout", format_duration(http.timeout)},
        {"allow_private_cidrs", http.allow_private_cidrs},
    };
  }
  if (scope.git_diff.allowed) tools[std::string(to_string(Tool::git_diff))] = json::object();
  return tools;
}

}  // namespace

Limits read_limits(const json& limits) {
  Limits out;
  out.memory_bytes = read_size(limits.at("memory"));
  out.pids = limits.at("pids").get<uint32_t>();
  out.cpu_millicores = read_millicores(limits.at("cpu"));
  out.cpu_weight = limits.at("cpu_weight").get<uint32_t>();
  out.cpu_time = read_duration(limits.at("cpu_time"));
  out.wall_time = read_duration(limits.at("wall_time"));
  out.output_bytes = read_size(limits.at("output"));
  out.file_size_bytes = read_size(limits.at("file_size"));
  out.open_files = limits.at("open_files").get<uint32_t>();
  out.tmp_bytes = read_size(limits.at("tmp_size"));
  out.workspace_bytes = read_size(limits.at("workspace_size"));
  out.shm_bytes = read_size(limits.at("shm_size"));
  return out;
}

LlmBudget read_budget(const json& budget) {
  LlmBudget out;
  out.max_turns = budget.at("max_turns").get<uint32_t>();
  out.max_tool_calls = budget.at("max_tool_calls").get<uint32_t>();
  out.max_tokens = budget.at("max_tokens").get<uint64_t>();
  return out;
}

json limits_to_json(const Limits& limits) {
  return {
      {"memory", base::format_size(limits.memory_bytes)},
      {"pids", limits.pids},
      {"cpu", cores(limits.cpu_millicores)},
      {"cpu_weight", limits.cpu_weight},
      {"cpu_time", format_duration(limits.cpu_time)},
      {"wall_time", format_duration(limits.wall_time)},
      {"output", base::format_size(limits.output_bytes)},
      {"file_size", base::format_size(limits.file_size_bytes)},
      {"open_files", limits.open_files},
      {"tmp_size", base::format_size(limits.tmp_bytes)},
      {"workspace_size", base::format_size(limits.workspace_bytes)},
      {"shm_size", base::format_size(limits.shm_bytes)},
  };
}

json budget_to_json(const LlmBudget& budget) {
  return {{"max_turns", budget.max_turns},
          {"max_tool_calls", budget.max_tool_calls},
          {"max_tokens", budget.max_tokens}};
}

json to_json(const Policy& policy) {
  return {
      {"description", policy.description},
      {"tools", tools_to_json(policy.scope)},
      {"gpu", {{"count", policy.scope.gpu.count}, {"exclusive", policy.scope.gpu.exclusive}}},
      {"limits", limits_to_json(policy.limits)},
      {"network", policy.network == sandbox::NetworkMode::host ? "host" : "none"},
      {"allow_host_network", policy.allow_host_network},
      {"workspace", policy.workspace == WorkspaceAccess::read_write ? "read-write" : "read-only"},
      {"seccomp", policy.seccomp},
      {"env", policy.env},
      {"budget", budget_to_json(policy.scope.budget)},
  };
}

}  // namespace policies
