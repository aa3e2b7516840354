// policies::ToolScope: the checkable description of which tool calls one agent may make.
// Layer one of enforcement: every tool call is checked here before it runs. (Layer two is the
// sandbox::Spec compiled from the same policy, which makes the same actions impossible.)
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace policies {

enum class Language { python, bash, c, cpp, node };
std::string_view to_string(Language language);
std::optional<Language> parse_language(std::string_view name);

// The tools a policy grants, named as in policy files and the protocol ("run_code").
// edit_file, search and apply_patch are the coding tools: their own globs narrow, never widen,
// what write_file (edit_file, apply_patch) or read_file (search) allows, so granting a coding
// tool never lets an agent touch a path the plain file tools could not.
enum class Tool {
  run_code,
  read_file,
  write_file,
  list_files,
  http_get,
  edit_file,
  search,
  apply_patch,
  git_diff
};
inline constexpr Tool kTools[] = {Tool::run_code,   Tool::read_file,   Tool::write_file,
                                  Tool::list_files, Tool::http_get,    Tool::edit_file,
                                  Tool::search,     Tool::apply_patch, Tool::git_diff};
std::string_view to_string(Tool tool);
std::optional<Tool> parse_tool(std::string_view name);

struct RunCodeScope {
  bool allowed = false;
  std::vector<Language> languages;
};

// Path globs relative to the agent's workspace ("src/**", "*.py"); none may escape it.
struct FileScope {
  bool allowed = false;
  std::vector<std::string> globs;
};

// A tool with nothing to scope but its grant (git_diff: the agent's own changes).
struct GrantScope {
  bool allowed = false;
};

struct HttpGetScope {
  bool allowed = false;
  std::vector<std::string> allow_hosts;  // "example.com" exactly, or "*.example.com"
  std::vector<std::string> methods = {"GET"};
  uint64_t max_response_bytes = 1ull << 20;
  std::chrono::milliseconds timeout{10'000};
  // Private, loopback, link-local and metadata addresses are refused after DNS resolution
  // unless they fall in one of these (e.g. "127.0.0.1/32"), listed explicitly by the policy.
  std::vector<std::string> allow_private_cidrs;

  // Whether `host` (lower case, as policies::parse_http_url returns it) is on the allowlist.
  // The http_get tool asks this again for the final URL after every redirect.
  bool allows_host(std::string_view host) const;
  // Whether a resolved private, loopback or link-local `address` ("127.0.0.1") was listed
  // explicitly in allow_private_cidrs.
  bool allows_private_address(std::string_view address) const;
};

struct GpuScope {
  uint32_t count = 0;
  bool exclusive = true;
};

struct LlmBudget {
  uint32_t max_turns = 20;
  uint32_t max_tool_calls = 50;
  uint64_t max_tokens = 200'000;
};

// Why a call was refused, worded for the model so it can adapt ("write_file: path
// \"../etc/passwd\" is outside the workspace; allowed: src/**").
struct Refusal {
  std::string tool;
  std::string reason;
};

struct ToolScope {
  std::string policy_name;
  RunCodeScope run_code;
  FileScope read_file;
  FileScope write_file;
  FileScope list_files;
  HttpGetScope http_get;
  FileScope edit_file;
  FileScope search;
  FileScope apply_patch;
  GrantScope git_diff;
  GpuScope gpu;
  LlmBudget budget;

  bool allows(Tool tool) const;
  // What a call of `tool` names: run_code's language, a file tool's path (edit_file's too),
  // http_get's URL (method GET). For search, apply_patch and git_diff only the grant is
  // checked here: the files a search reads and the paths a patch names are checked one by one
  // (check_search, check_apply_patch) by the tool. nullopt when the call is allowed.
  std::optional<Refusal> check(Tool tool, std::string_view subject) const;
  // Each returns nullopt when the call is allowed.
  std::optional<Refusal> check_run_code(std::string_view language) const;
  std::optional<Refusal> check_read_file(std::string_view path) const;
  std::optional<Refusal> check_write_file(std::string_view path) const;
  std::optional<Refusal> check_list_files(std::string_view path) const;
  // Writes: the tool's own globs and write_file's must both allow `path`.
  std::optional<Refusal> check_edit_file(std::string_view path) const;
  std::optional<Refusal> check_apply_patch(std::string_view path) const;
  // A file search would read: its own globs and read_file's must both allow it.
  std::optional<Refusal> check_search(std::string_view path) const;
  // The URL's scheme, host and method; addresses are checked again after DNS by the tool.
  std::optional<Refusal> check_http_get(std::string_view url, std::string_view method) const;
  std::optional<Refusal> check_gpu(uint32_t count) const;
};

}  // namespace policies
