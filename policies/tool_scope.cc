#include "policies/tool_scope.h"

#include <array>
#include <utility>

#include "policies/diagnostic.h"
#include "policies/url.h"
#include "policies/workspace_path.h"

namespace policies {
namespace {

constexpr std::array<std::pair<Language, std::string_view>, 5> kLanguageNames = {{
    {Language::python, "python"},
    {Language::bash, "bash"},
    {Language::c, "c"},
    {Language::cpp, "cpp"},
    {Language::node, "node"},
}};

constexpr std::array<std::pair<Tool, std::string_view>, 9> kToolNames = {{
    {Tool::run_code, "run_code"},
    {Tool::read_file, "read_file"},
    {Tool::write_file, "write_file"},
    {Tool::list_files, "list_files"},
    {Tool::http_get, "http_get"},
    {Tool::edit_file, "edit_file"},
    {Tool::search, "search"},
    {Tool::apply_patch, "apply_patch"},
    {Tool::git_diff, "git_diff"},
}};

template <class Items, class Render>
std::string join(const Items& items, Render render) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + std::string(render(item));
  return out.empty() ? "(none)" : out;
}

std::string identity(const std::string& text) {
  return text;
}

Refusal refusal(Tool tool, std::string reason) {
  return Refusal{std::string(to_string(tool)), std::move(reason)};
}

Refusal not_allowed(Tool tool, const std::string& policy_name) {
  return refusal(tool, std::string(to_string(tool)) + " is not allowed by policy " +
                           quote(policy_name) + "; use another tool");
}

std::optional<Refusal> check_file(Tool tool, const FileScope& scope, const std::string& policy_name,
                                  std::string_view path) {
  if (!scope.allowed) return not_allowed(tool, policy_name);
  // The same parse the file tools open with, so the globs judge exactly what gets opened.
  base::Expected<WorkspacePath> parsed = WorkspacePath::parse(path);
  if (!parsed) return refusal(tool, parsed.error().message);
  for (const std::string& glob : scope.globs) {
    if (glob_matches(glob, *parsed)) return std::nullopt;
  }
  return refusal(tool, "path " + quote(path) + " is not allowed by policy " + quote(policy_name) +
                           "; allowed: " + join(scope.globs, identity));
}

// A coding tool on `path`: its own globs, then those of the plain file tool (`base`) it acts
// as, so that it never reaches further than that tool. The refusal is the coding tool's.
std::optional<Refusal> check_layered(Tool tool, const FileScope& scope, Tool base,
                                     const FileScope& base_scope, const std::string& policy_name,
                                     std::string_view path) {
  if (auto refused = check_file(tool, scope, policy_name, path)) return refused;
  if (!base_scope.allowed) {
    return refusal(tool, std::string(to_string(tool)) + " needs " + std::string(to_string(base)) +
                             ", which policy " + quote(policy_name) +
                             " does not allow; use another tool");
  }
  if (auto refused = check_file(base, base_scope, policy_name, path)) {
    refused->tool = std::string(to_string(tool));
    refused->reason += " (" + std::string(to_string(tool)) + " is held to " +
                       std::string(to_string(base)) + "'s paths)";
    return refused;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Language language) {
  for (const auto& [value, name] : kLanguageNames) {
    if (value == language) return name;
  }
  return "unknown";
}

std::optional<Language> parse_language(std::string_view name) {
  for (const auto& [value, known] : kLanguageNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

bool HttpGetScope::allows_host(std::string_view host) const {
  for (const std::string& pattern : allow_hosts) {
    if (host_matches(pattern, host)) return true;
  }
  return false;
}

bool HttpGetScope::allows_private_address(std::string_view address) const {
  for (const std::string& cidr : allow_private_cidrs) {
    if (cidr_contains(cidr, address)) return true;
  }
  return false;
}

std::string_view to_string(Tool tool) {
  for (const auto& [value, name] : kToolNames) {
    if (value == tool) return name;
  }
  return "unknown";
}

std::optional<Tool> parse_tool(std::string_view name) {
  for (const auto& [value, known] : kToolNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

bool ToolScope::allows(Tool tool) const {
  switch (tool) {
    case Tool::run_code:
      return run_code.allowed;
    case Tool::read_file:
      return read_file.allowed;
    case Tool::write_file:
      return write_file.allowed;
    case Tool::list_files:
      return list_files.allowed;
    case Tool::http_get:
      return http_get.allowed;
    case Tool::edit_file:
      return edit_file.allowed;
    case Tool::search:
      return search.allowed;
    case Tool::apply_patch:
      return apply_patch.allowed;
    case Tool::git_diff:
      return git_diff.allowed;
  }
  return false;
}

std::optional<Refusal> ToolScope::check(Tool tool, std::string_view subject) const {
  switch (tool) {
    case Tool::run_code:
      return check_run_code(subject);
    case Tool::read_file:
      return check_read_file(subject);
    case Tool::write_file:
      return check_write_file(subject);
    case Tool::list_files:
      return check_list_files(subject);
    case Tool::http_get:
      return check_http_get(subject, "GET");
    case Tool::edit_file:
      return check_edit_file(subject);
    case Tool::search:
    case Tool::apply_patch:
    case Tool::git_diff:
      if (allows(tool)) return std::nullopt;
      return not_allowed(tool, policy_name);
  }
  return refusal(tool, "unknown tool");
}

std::optional<Refusal> ToolScope::check_run_code(std::string_view language) const {
  if (!run_code.allowed) return not_allowed(Tool::run_code, policy_name);
  std::optional<Language> parsed = parse_language(language);
  for (Language allowed : run_code.languages) {
    if (parsed == allowed) return std::nullopt;
  }
  return refusal(
      Tool::run_code,
      "language " + quote(language) + " is not allowed by policy " + quote(policy_name) +
          "; allowed: " + join(run_code.languages, [](Language l) { return to_string(l); }));
}

std::optional<Refusal> ToolScope::check_read_file(std::string_view path) const {
  return check_file(Tool::read_file, read_file, policy_name, path);
}

std::optional<Refusal> ToolScope::check_write_file(std::string_view path) const {
  return check_file(Tool::write_file, write_file, policy_name, path);
}

std::optional<Refusal> ToolScope::check_list_files(std::string_view path) const {
  return check_file(Tool::list_files, list_files, policy_name, path);
}

std::optional<Refusal> ToolScope::check_edit_file(std::string_view path) const {
  return check_layered(Tool::edit_file, edit_file, Tool::write_file, write_file, policy_name, path);
}

std::optional<Refusal> ToolScope::check_apply_patch(std::string_view path) const {
  return check_layered(Tool::apply_patch, apply_patch, Tool::write_file, write_file, policy_name,
                       path);
}

std::optional<Refusal> ToolScope::check_search(std::string_view path) const {
  return check_layered(Tool::search, search, Tool::read_file, read_file, policy_name, path);
}

std::optional<Refusal> ToolScope::check_http_get(std::string_view url,
                                                 std::string_view method) const {
  if (!http_get.allowed) return not_allowed(Tool::http_get, policy_name);
  bool method_allowed = false;
  for (const std::string& allowed : http_get.methods) method_allowed |= allowed == method;
  if (!method_allowed) {
    return refusal(Tool::http_get, "method " + quote(method) + " is not allowed; allowed: " +
                                       join(http_get.methods, identity));
  }
  std::string problem;
  std::optional<HttpUrl> parsed = parse_http_url(url, &problem);
  if (!parsed) {
    return refusal(Tool::http_get, "URL " + quote(url) + " refused: " + shorten(problem, 160));
  }
  if (!http_get.allows_host(parsed->host)) {
    return refusal(Tool::http_get, "host " + quote(parsed->host) + " is not allowed by policy " +
                                       quote(policy_name) +
                                       "; allowed hosts: " + join(http_get.allow_hosts, identity));
  }
  return std::nullopt;
}

std::optional<Refusal> ToolScope::check_gpu(uint32_t count) const {
  if (count <= gpu.count) return std::nullopt;
  return Refusal{"gpu", "asked for " + std::to_string(count) + " GPU(s); policy " +
                            quote(policy_name) + " allows " + std::to_string(gpu.count)};
}

}  // namespace policies
