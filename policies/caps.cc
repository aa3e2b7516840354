#include "policies/caps.h"

#include "base/size.h"
#include "policies/schema.h"
#include "policies/source.h"
#include "policies/value_checks.h"

namespace policies {
namespace {

using nlohmann::json;

Caps caps_from_valid(const json& value) {
  json full = with_defaults(caps_schema(), value);
  Caps caps;
  caps.limits = read_limits(full["limits"]);
  caps.max_gpus = full["gpus"].get<uint32_t>();
  const json& http = full["http"];
  if (http.contains("hosts")) caps.http_hosts = http["hosts"].get<std::vector<std::string>>();
  caps.http_max_response_bytes = read_size(http["max_response_size"]);
  caps.http_timeout = read_duration(http["timeout"]);
  caps.allow_private_cidrs = http["allow_private_cidrs"].get<bool>();
  caps.allow_host_network = full["allow_host_network"].get<bool>();
  caps.budget = read_budget(full["budget"]);
  return caps;
}

}  // namespace

Caps default_caps() {
  return caps_from_valid(json::object());
}

Validated<Caps> read_caps(const Document& document) {
  Validated<Caps> result;
  validate(document, caps_schema(), result.errors);
  if (result.errors.empty()) result.value = caps_from_valid(document.value);
  return result;
}

Validated<Caps> read_caps(const json& value, std::string origin) {
  Document document;
  document.origin = std::move(origin);
  document.value = value;
  Validated<Caps> result;
  if (!value.is_object()) {
    result.errors.push_back(
        document.at("", std::string("expected an object, got ") + value.type_name()));
    return result;
  }
  return read_caps(document);
}

Validated<Caps> load_caps_file(const std::filesystem::path& path) {
  Validated<Caps> result;
  auto source = read_file_source(path);
  if (!source) {
    result.errors.push_back(Diagnostic{path.string(), 0, 0, "", source.error().message});
    return result;
  }
  auto parsed = parse_document(std::move(source->text), path.string());
  if (!parsed.ok()) {
    result.errors = std::move(parsed.errors);
    return result;
  }
  return read_caps(*parsed.value);
}

json to_json(const Caps& caps) {
  json http = {
      {"max_response_size", base::format_size(caps.http_max_response_bytes)},
      {"timeout", format_duration(caps.http_timeout)},
      {"allow_private_cidrs", caps.allow_private_cidrs},
  };
  if (caps.http_hosts) http["hosts"] = *caps.http_hosts;
  return {
      {"limits", limits_to_json(caps.limits)},
      {"gpus", caps.max_gpus},
      {"http", http},
      {"allow_host_network", caps.allow_host_network},
      {"budget", budget_to_json(caps.budget)},
  };
}

}  // namespace policies
