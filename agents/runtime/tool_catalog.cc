#include "agents/runtime/tool_catalog.h"

#include "agents/runtime/truncate.h"
#include "base/strings.h"

namespace agents::runtime {

using nlohmann::json;

using policies::Tool;

bool is_known_tool(std::string_view name) {
  return name == kFinalAnswer || policies::parse_tool(name).has_value();
}

namespace {

enum class ArgType { string, integer, boolean };

struct Argument {
  const char* name;
  bool required;
  ArgType type = ArgType::string;
};

std::vector<Argument> arguments_of(Tool tool) {
  switch (tool) {
    case Tool::run_code:
      return {{"language", true}, {"code", true}, {"stdin", false}, {"shared", false}};
    case Tool::write_file:
      return {{"path", true}, {"content", true}};
    case Tool::read_file:
      return {{"path", true}};
    case Tool::list_files:
      return {{"path", false}};  // absent: the whole workspace
    case Tool::http_get:
      return {{"url", true}};
    case Tool::edit_file:
      return {{"path", true}, {"old_text", true}, {"new_text", true}};
    case Tool::search:
      return {{"pattern", true},
              {"path_glob", false},
              {"max_matches", false, ArgType::integer},
              {"fixed", false, ArgType::boolean}};
    case Tool::apply_patch:
      return {{"patch", true}};
    case Tool::git_diff:
      return {{"path", false}};  // absent: every file changed
  }
  return {};
}

const char* type_word(ArgType type) {
  switch (type) {
    case ArgType::string:
      return "string";
    case ArgType::integer:
      return "integer";
    case ArgType::boolean:
      return "boolean";
  }
  return "string";
}

bool has_type(const json& value, ArgType type) {
  switch (type) {
    case ArgType::string:
      return value.is_string();
    case ArgType::integer:
      return value.is_number_integer();
    case ArgType::boolean:
      return value.is_boolean();
  }
  return false;
}

std::string type_name(const json& value) {
  if (value.is_string()) return "a string";
  if (value.is_number()) return "a number";
  if (value.is_boolean()) return "a boolean";
  if (value.is_null()) return "null";
  return value.is_array() ? "an array" : "an object";
}

std::string expected_arguments(Tool tool, const std::vector<Argument>& arguments) {
  std::string text = std::string(policies::to_string(tool)) + " takes {";
  for (size_t i = 0; i < arguments.size(); ++i)
    text += std::string(i ? ", " : "") + "\"" + arguments[i].name + "\"" +
            (arguments[i].required ? "" : "?") + ": " + type_word(arguments[i].type);
  return text + "} (? marks an optional argument)";
}

std::string article(ArgType type) {
  return type == ArgType::integer ? "an " : "a ";
}

}  // namespace

std::vector<std::string> required_arguments(Tool tool) {
  std::vector<std::string> names;
  for (const Argument& argument : arguments_of(tool))
    if (argument.required) names.emplace_back(argument.name);
  return names;
}

std::optional<std::string> argument_error(Tool tool, const json& arguments) {
  const std::vector<Argument> expected = arguments_of(tool);
  for (const Argument& argument : expected) {
    auto it = arguments.find(argument.name);
    std::string problem;
    if (it == arguments.end() && argument.required)
      problem = "\"" + std::string(argument.name) + "\" is missing";
    else if (it != arguments.end() && !has_type(*it, argument.type))
      problem = "\"" + std::string(argument.name) + "\" must be " + article(argument.type) +
                type_word(argument.type) + ", not " + type_name(*it) + " (" +
                base::valid_utf8(truncate_for_model(
                    it->dump(-1, ' ', false, json::error_handler_t::replace), 60)) +
                ")";
    if (!problem.empty())
      return "invalid arguments for " + std::string(policies::to_string(tool)) + ": " + problem +
             ". " + expected_arguments(tool, expected) +
             "; call it again with corrected arguments.";
  }
  return std::nullopt;
}

std::optional<std::string> argument_error(std::string_view name, const json& arguments) {
  const std::optional<Tool> tool = policies::parse_tool(name);
  return tool ? argument_error(*tool, arguments) : std::nullopt;
}

namespace {

json object_schema(json properties, std::vector<std::string> required) {
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

// The model cannot ask for GPUs (the policy grants them), so it must be told it has some, or
// it writes CPU-only code.
std::string gpu_note(const policies::GpuScope& gpu) {
  if (gpu.count == 0) return "";
  const std::string gpus =
      gpu.count == 1 ? "an NVIDIA GPU" : std::to_string(gpu.count) + " NVIDIA GPUs";
  return " The sandbox has " + gpus + " attached (CUDA_VISIBLE_DEVICES is set)" +
         (gpu.exclusive ? ", for this run alone."
                        : ", which other sandboxes of this task may use at the same time.");
}

llm::ToolDefinition run_code(const policies::ToolScope& scope, const CatalogOptions& options) {
  json languages = json::array();
  for (policies::Language language : scope.run_code.languages)
    languages.push_back(policies::to_string(language));
  json properties = {{"language", {{"type", "string"}, {"enum", languages}}},
                     {"code", {{"type", "string"}, {"description", "the program's source"}}},
                     {"stdin", {{"type", "string"}, {"description", "standard input"}}}};
  if (!options.shared_resources.empty())
    properties["shared"] = {
        {"type", "string"},
        {"enum", options.shared_resources},
        {"description", "mount this shared directory at /shared/<name>; waits for its token"}};
  return {std::string(policies::to_string(Tool::run_code)),
          "Runs a program in a sandbox with your workspace at /workspace (files persist "
          "between calls). C and C++ are compiled first. Returns status, exit code, stdout, "
          "stderr." +
              gpu_note(scope.gpu),
          object_schema(std::move(properties), {"language", "code"})};
}

// The schema asks for "path" even from list_files, which argument_error lets go without one.
llm::ToolDefinition path_tool(Tool tool, std::string description) {
  json properties = {{"path", {{"type", "string"}, {"description", "relative to the workspace"}}}};
  std::vector<std::string> required = {"path"};
  if (tool == Tool::write_file) {
    properties["content"] = {{"type", "string"}};
    required.push_back("content");
  }
  return {std::string(policies::to_string(tool)), std::move(description),
          object_schema(std::move(properties), std::move(required))};
}

llm::ToolDefinition http_get() {
  return {std::string(policies::to_string(Tool::http_get)), "Fetches a URL (allowed hosts only).",
          object_schema({{"url", {{"type", "string"}}}}, {"url"})};
}

json string_property(const char* description) {
  return {{"type", "string"}, {"description", description}};
}

llm::ToolDefinition edit_file() {
  json properties = {
      {"path", string_property("relative to the workspace")},
      {"old_text", string_property("the exact text to replace, whitespace and indentation "
                                   "included; it must occur exactly once in the file")},
      {"new_text", string_property("what replaces it (empty to delete it)")}};
  return {std::string(policies::to_string(Tool::edit_file)),
          "Replaces exactly one occurrence of old_text in a file of your workspace with "
          "new_text. Read the file first: old_text must match it exactly, and must occur "
          "once (include surrounding lines to make it unique). The error says how often it "
          "occurred and at which lines.",
          object_schema(std::move(properties), {"path", "old_text", "new_text"})};
}

llm::ToolDefinition search() {
  json properties = {
      {"pattern", string_property("a POSIX extended regular expression matched line by line "
                                  "(no back-references), or a plain string with fixed: true")},
      {"path_glob", string_property("only files matching this glob, like \"src/**/*.py\"")},
      {"max_matches", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}},
      {"fixed", {{"type", "boolean"}, {"description", "match pattern as a plain string"}}}};
  return {std::string(policies::to_string(Tool::search)),
          "Searches the files of your workspace and returns matching lines as "
          "\"path:line: text\" (at most max_matches, default 100). Binary files and files "
          "over 1 MiB are skipped; the result says when it was capped.",
          object_schema(std::move(properties), {"pattern"})};
}

llm::ToolDefinition apply_patch() {
  json properties = {{"patch", string_property("a unified diff")}};
  return {std::string(policies::to_string(Tool::apply_patch)),
          "Applies a unified diff to your workspace, as `git diff` or `diff -u` print it: "
          "---/+++ headers (a/ b/ prefixes optional), @@ hunks with context lines, /dev/null "
          "to create or delete a file. All or nothing: if any hunk does not match the current "
          "files exactly, nothing is changed and the error names the file, hunk and line. "
          "Renames and binary patches are not supported.",
          object_schema(std::move(properties), {"patch"})};
}

llm::ToolDefinition git_diff() {
  json properties = {{"path", string_property("only changes under this path")}};
  return {std::string(policies::to_string(Tool::git_diff)),
          "Shows your own changes to the repository so far, as a unified diff against the "
          "commit your branch started from.",
          object_schema(std::move(properties), {})};
}

llm::ToolDefinition definition(Tool tool, const policies::ToolScope& scope,
                               const CatalogOptions& options) {
  switch (tool) {
    case Tool::run_code:
      return run_code(scope, options);
    case Tool::read_file:
      return path_tool(tool, "Reads a file of your workspace.");
    case Tool::write_file:
      return path_tool(tool, "Writes a file in your workspace.");
    case Tool::list_files:
      return path_tool(tool, "Lists a directory of your workspace recursively (\".\" for all).");
    case Tool::http_get:
      return http_get();
    case Tool::edit_file:
      return edit_file();
    case Tool::search:
      return search();
    case Tool::apply_patch:
      return apply_patch();
    case Tool::git_diff:
      return git_diff();
  }
  return {};
}

bool needs_workspace(Tool tool) {
  return tool != Tool::run_code && tool != Tool::http_get;
}

llm::ToolDefinition final_answer() {
  return {std::string(kFinalAnswer), "Gives your final answer and ends your work.",
          object_schema({{"answer", {{"description", "the answer"}}}}, {"answer"})};
}

}  // namespace

std::vector<llm::ToolDefinition> tool_catalog(const policies::ToolScope& scope,
                                              const CatalogOptions& options) {
  std::vector<llm::ToolDefinition> tools;
  if (options.tools_enabled) {
    for (Tool tool : policies::kTools)
      if (scope.allows(tool) && (options.has_workspace || !needs_workspace(tool)))
        tools.push_back(definition(tool, scope, options));
  }
  tools.push_back(final_answer());
  return tools;
}

}  // namespace agents::runtime
