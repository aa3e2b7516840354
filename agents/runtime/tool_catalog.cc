#include "agents/runtime/tool_catalog.h"

#include "agents/runtime/truncate.h"
#include "base/strings.h"

namespace agents::runtime {

using nlohmann::json;

bool is_known_tool(std::string_view name) {
  for (std::string_view tool : kToolNames)
    if (tool == name) return true;
  return false;
}

namespace {

struct Argument {
  const char* name;
  bool required;
};

// Every argument of every tool but final_answer is a string (as the catalog below offers them).
std::vector<Argument> arguments_of(std::string_view tool) {
  if (tool == "run_code")
    return {{"language", true}, {"code", true}, {"stdin", false}, {"shared", false}};
  if (tool == "write_file") return {{"path", true}, {"content", true}};
  if (tool == "read_file") return {{"path", true}};
  if (tool == "list_files") return {{"path", false}};  // absent: the whole workspace
  if (tool == "http_get") return {{"url", true}};
  return {};
}

std::string type_name(const json& value) {
  if (value.is_string()) return "a string";
  if (value.is_number()) return "a number";
  if (value.is_boolean()) return "a boolean";
  if (value.is_null()) return "null";
  return value.is_array() ? "an array" : "an object";
}

std::string expected_arguments(std::string_view tool, const std::vector<Argument>& arguments) {
  std::string text = std::string(tool) + " takes {";
  for (size_t i = 0; i < arguments.size(); ++i)
    text += std::string(i ? ", " : "") + "\"" + arguments[i].name + "\"" +
            (arguments[i].required ? "" : "?") + ": string";
  return text + "} (? marks an optional argument)";
}

}  // namespace

std::optional<std::string> argument_error(std::string_view tool, const json& arguments) {
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
      return "invalid arguments for " + std::string(tool) + ": " + problem + ". " +
             expected_arguments(tool, expected) + "; call it again with corrected arguments.";
  }
  return std::nullopt;
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
  return {"run_code",
          "Runs a program in a sandbox with your workspace at /workspace (files persist "
          "between calls). C and C++ are compiled first. Returns status, exit code, stdout, "
          "stderr." +
              gpu_note(scope.gpu),
          object_schema(std::move(properties), {"language", "code"})};
}

llm::ToolDefinition path_tool(std::string name, std::string description, bool with_content) {
  json properties = {{"path", {{"type", "string"}, {"description", "relative to the workspace"}}}};
  std::vector<std::string> required = {"path"};
  if (with_content) {
    properties["content"] = {{"type", "string"}};
    required.push_back("content");
  }
  return {std::move(name), std::move(description),
          object_schema(std::move(properties), std::move(required))};
}

}  // namespace

std::vector<llm::ToolDefinition> tool_catalog(const policies::ToolScope& scope,
                                              const CatalogOptions& options) {
  std::vector<llm::ToolDefinition> tools;
  if (options.tools_enabled) {
    if (scope.run_code.allowed) tools.push_back(run_code(scope, options));
    if (options.has_workspace) {
      if (scope.read_file.allowed)
        tools.push_back(path_tool("read_file", "Reads a file of your workspace.", false));
      if (scope.write_file.allowed)
        tools.push_back(path_tool("write_file", "Writes a file in your workspace.", true));
      if (scope.list_files.allowed)
        tools.push_back(path_tool("list_files",
                                  "Lists a directory of your workspace "
                                  "recursively (\".\" for all).",
                                  false));
    }
    if (scope.http_get.allowed)
      tools.push_back({"http_get", "Fetches a URL (allowed hosts only).",
                       object_schema({{"url", {{"type", "string"}}}}, {"url"})});
  }
  tools.push_back({"final_answer", "Gives your final answer and ends your work.",
                   object_schema({{"answer", {{"description", "the answer"}}}}, {"answer"})});
  return tools;
}

}  // namespace agents::runtime
