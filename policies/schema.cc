#include "policies/schema.h"

#include <algorithm>
#include <chrono>
#include <tuple>

#include "policies/tool_scope.h"

namespace policies {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

Field value(std::string name, ValueCheck check, json default_value) {
  return Field{std::move(name),         FieldKind::value, std::move(check), {}, {},
               std::move(default_value)};
}

Field list(std::string name, ValueCheck element_check, json default_value) {
  return Field{std::move(name),         FieldKind::list, std::move(element_check), {}, {},
               std::move(default_value)};
}

// `present_by_default`: an object the typed policy always has (limits), as opposed to one
// that exists only when a file names it (tools/http_get).
Field object(std::string name, std::vector<Field> children, bool present_by_default = true) {
  return Field{std::move(name),
               FieldKind::object,
               {},
               {},
               std::move(children),
               present_by_default ? json::object() : json()};
}

Field file_tool(Tool tool) {
  return object(std::string(to_string(tool)), {list("paths", glob_check(), json::array({"**"}))},
                false);
}

// Limits appear in policies (what a sandbox gets) and in caps (the most any policy gets),
// with different defaults.
Field limits_field(const json& defaults) {
  const milliseconds one_ms(1);
  return object("limits",
                {
                    value("memory", size_check(1 << 20), defaults["memory"]),
                    value("pids", integer_check(1, 65536), defaults["pids"]),
                    value("cpu", cores_check(), defaults["cpu"]),
                    value("cpu_weight", integer_check(1, 10000), defaults["cpu_weight"]),
                    value("cpu_time", duration_check(one_ms), defaults["cpu_time"]),
                    value("wall_time", duration_check(one_ms), defaults["wall_time"]),
                    value("output", size_check(1), defaults["output"]),
                    value("file_size", size_check(1), defaults["file_size"]),
                    value("open_files", integer_check(16, 65536), defaults["open_files"]),
                    value("tmp_size", size_check(1 << 20), defaults["tmp_size"]),
                    value("workspace_size", size_check(1 << 20), defaults["workspace_size"]),
                    value("shm_size", size_check(1 << 20), defaults["shm_size"]),
                });
}

Field budget_field(const json& defaults) {
  return object(
      "budget",
      {
          value("max_turns", integer_check(1, 100'000), defaults["max_turns"]),
          value("max_tool_calls", integer_check(0, 1'000'000), defaults["max_tool_calls"]),
          value("max_tokens", integer_check(1, 10'000'000'000), defaults["max_tokens"]),
      });
}

Field build_policy_schema() {
  const json limit_defaults = {{"memory", "512M"},
                               {"pids", 64},
                               {"cpu", 1},
                               {"cpu_weight", 100},
                               {"cpu_time", "10s"},
                               {"wall_time", "30s"},
                               {"output", "1M"},
                               {"file_size", "64M"},
                               {"open_files", 256},
                               {"tmp_size", "64M"},
                               {"workspace_size", "256M"},
                               {"shm_size", "64M"}};
  const json budget_defaults = {{"max_turns", 20}, {"max_tool_calls", 50}, {"max_tokens", 200'000}};
  Field http_get = object(std::string(to_string(Tool::http_get)),
                          {
                              list("allow_hosts", host_pattern_check(), json::array()),
                              list("methods", http_method_check(), json::array({"GET"})),
                              value("max_response_size", size_check(1), "1M"),
                              value("timeout", duration_check(milliseconds(1)), "10s"),
                              list("allow_private_cidrs", cidr_check(), json::array()),
                          },
                          false);
  Field env{"env", FieldKind::map, env_value_check(), env_name_check(), {}, json::object()};
  return object(
      "",
      {
          value("extends", policy_reference_check(), json()),
          value("description", string_check(2000), ""),
          object("tools",
                 {
                     object(std::string(to_string(Tool::run_code)),
                            {list("languages", language_check(), json::array({"python"}))}, false),
                     file_tool(Tool::read_file),
                     file_tool(Tool::write_file),
                     file_tool(Tool::list_files),
                     std::move(http_get),
                     file_tool(Tool::edit_file),
                     file_tool(Tool::search),
                     file_tool(Tool::apply_patch),
                     object(std::string(to_string(Tool::git_diff)), {}, false),
                 }),
          object("gpu",
                 {
                     value("count", integer_check(0, 16), 0),
                     value("exclusive", boolean_check(), true),
                 }),
          limits_field(limit_defaults),
          value("network", one_of_check({"none", "host"}), "none"),
          value("allow_host_network", boolean_check(), false),
          value("workspace", one_of_check({"read-only", "read-write"}), "read-only"),
          value("seccomp", seccomp_reference_check(), "default"),
          std::move(env),
          budget_field(budget_defaults),
      });
}

Field build_caps_schema() {
  const json limit_defaults = {{"memory", "8G"},
                               {"pids", 4096},
                               {"cpu", 8},
                               {"cpu_weight", 10000},
                               {"cpu_time", "1h"},
                               {"wall_time", "1h"},
                               {"output", "64M"},
                               {"file_size", "4G"},
                               {"open_files", 65536},
                               {"tmp_size", "4G"},
                               {"workspace_size", "16G"},
                               {"shm_size", "4G"}};
  const json budget_defaults = {
      {"max_turns", 1000}, {"max_tool_calls", 10'000}, {"max_tokens", 10'000'000}};
  return object("", {
                        limits_field(limit_defaults),
                        value("gpus", integer_check(0, 16), 8),
                        object("http",
                               {
                                   list("hosts", host_pattern_check(), json()),
                                   value("max_response_size", size_check(1), "64M"),
                                   value("timeout", duration_check(milliseconds(1)), "5m"),
                                   value("allow_private_cidrs", boolean_check(), false),
                               }),
                        value("allow_host_network", boolean_check(), false),
                        budget_field(budget_defaults),
                    });
}

std::string expected_keys(const Field& field) {
  std::string keys;
  for (const Field& child : field.children) keys += (keys.empty() ? "" : ", ") + child.name;
  return keys;
}

std::string got(const json& value) {
  return ", got " + shorten(value.dump(-1, ' ', false, json::error_handler_t::replace));
}

void validate_value(const Document& document, const Field& field, const json& value,
                    const std::string& pointer, Diagnostics& errors);

void validate_elements(const Document& document, const Field& field, const json& value,
                       const std::string& pointer, Diagnostics& errors) {
  if (value.size() > kMaxListItems) {
    errors.push_back(document.at(pointer, "expected at most " + std::to_string(kMaxListItems) +
                                              " entries, got " + std::to_string(value.size())));
    return;
  }
  if (field.kind == FieldKind::list) {
    for (size_t index = 0; index < value.size(); ++index) {
      std::string element = pointer + "/" + std::to_string(index);
      if (auto why = field.check(value[index]))
        errors.push_back(document.at(element, *why + got(value[index])));
    }
    return;
  }
  for (const auto& [key, item] : value.items()) {
    std::string member = pointer + "/" + pointer_token(key);
    if (auto why = field.key_check(json(key))) {
      errors.push_back(document.at(member, "key: " + *why + got(json(key)), true));
    }
    if (auto why = field.check(item)) errors.push_back(document.at(member, *why + got(item)));
  }
}

void validate_object(const Document& document, const Field& field, const json& value,
                     const std::string& pointer, Diagnostics& errors) {
  for (const auto& [key, item] : value.items()) {
    std::string member = pointer + "/" + pointer_token(key);
    const Field* child = nullptr;
    for (const Field& candidate : field.children) {
      if (candidate.name == key) child = &candidate;
    }
    if (child == nullptr) {
      errors.push_back(document.at(
          member,
          "unknown key " + json(key).dump(-1, ' ', false, json::error_handler_t::replace) +
              "; expected one of: " + expected_keys(field),
          true));
    } else if (!item.is_null()) {
      validate_value(document, *child, item, member, errors);
    }
  }
}

void validate_value(const Document& document, const Field& field, const json& value,
                    const std::string& pointer, Diagnostics& errors) {
  switch (field.kind) {
    case FieldKind::value:
      if (auto why = field.check(value)) errors.push_back(document.at(pointer, *why + got(value)));
      return;
    case FieldKind::object:
      if (!value.is_object()) {
        errors.push_back(document.at(
            pointer, "expected an object with keys " + expected_keys(field) + got(value)));
        return;
      }
      validate_object(document, field, value, pointer, errors);
      return;
    case FieldKind::list:
      if (!value.is_array()) {
        errors.push_back(document.at(pointer, "expected a list" + got(value)));
        return;
      }
      validate_elements(document, field, value, pointer, errors);
      return;
    case FieldKind::map:
      if (!value.is_object()) {
        errors.push_back(
            document.at(pointer, "expected an object of NAME: \"value\" pairs" + got(value)));
        return;
      }
      validate_elements(document, field, value, pointer, errors);
      return;
  }
}

void collect_pointers(const Field& field, const std::string& pointer,
                      std::vector<std::string>& out) {
  for (const Field& child : field.children) {
    std::string member = pointer + "/" + child.name;
    out.push_back(member);
    collect_pointers(child, member, out);
  }
}

}  // namespace

const Field& policy_schema() {
  static const Field schema = build_policy_schema();
  return schema;
}

const Field& caps_schema() {
  static const Field schema = build_caps_schema();
  return schema;
}

void validate(const Document& document, const Field& schema, Diagnostics& errors) {
  size_t first = errors.size();
  validate_value(document, schema, document.value, "", errors);
  // nlohmann iterates keys in sorted order; operators read errors in file order.
  std::stable_sort(errors.begin() + static_cast<std::ptrdiff_t>(first), errors.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
}

json with_defaults(const Field& schema, const json& value) {
  if (schema.kind != FieldKind::object) return value.is_null() ? schema.default_value : value;
  if (value.is_null() && schema.default_value.is_null()) return json();
  json filled = json::object();
  for (const Field& child : schema.children) {
    json given = value.is_object() && value.contains(child.name) ? value[child.name] : json();
    json child_value = with_defaults(child, given);
    if (!child_value.is_null()) filled[child.name] = std::move(child_value);
  }
  return filled;
}

std::vector<std::string> field_pointers(const Field& schema) {
  std::vector<std::string> pointers;
  collect_pointers(schema, "", pointers);
  return pointers;
}

}  // namespace policies
