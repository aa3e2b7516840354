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

struct Argument {
  const char* name;
  bool required;
};

// Every argument of every tool is a string (as the catalog below offers them).
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
  }
  return {};
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
            (arguments[i].required ? "" : "?") + ": string";
  return text + "} (? marks an optional argument)";
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
    else if (it != arguments.end() && !it->is_string())
      problem = "\"" + std::string(argument.name) + "\" must be a string, not " + type_name(*it) +
                " (" +
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
  }
  return {};
}

bool needs_workspace(Tool tool) {
  return tool == Tool::read_file || tool == Tool::write_file || tool == Tool::list_files;
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
