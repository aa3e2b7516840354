#include "agents/llm/config.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace agents::llm {
namespace {

using nlohmann::json;

constexpr double kMaxTimeoutSeconds = 24 * 3600;
constexpr uint64_t kMaxConcurrency = 100'000;
constexpr uint64_t kMaxRetries = 100;
constexpr uint64_t kMaxBreakerFailures = 1000;

base::Error key_error(const std::string& key, const std::string& expected) {
  return base::Error{key + ": expected " + expected};
}

base::Expected<std::string> required_string(const json& entry, const std::string& prefix,
                                            const char* key) {
  const auto found = entry.find(key);
  if (found == entry.end()) return base::Error{prefix + "." + key + ": missing (required)"};
  if (!found->is_string() || found->get_ref<const std::string&>().empty()) {
    return key_error(prefix + "." + key, "a non-empty string");
  }
  return found->get<std::string>();
}

base::Status read_count(const json& value, const std::string& key, uint64_t min, uint64_t max,
                        uint32_t& out) {
  if (!value.is_number_unsigned() || value.get<uint64_t>() < min || value.get<uint64_t>() > max) {
    return key_error(key, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  out = static_cast<uint32_t>(value.get<uint64_t>());
  return base::Ok{};
}

base::Status read_price(const json& value, const std::string& key, double& out) {
  if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0) {
    return key_error(key, "a non-negative number of USD per million tokens");
  }
  out = value.get<double>();
  return base::Ok{};
}

base::Status read_timeout(const json& value, const std::string& key,
                          std::chrono::milliseconds& out) {
  if (!value.is_number() || !(value.get<double>() > 0) ||
      value.get<double>() > kMaxTimeoutSeconds) {
    return key_error(key, "a positive number of seconds (at most 86400)");
  }
  out = std::chrono::milliseconds(static_cast<int64_t>(std::ceil(value.get<double>() * 1000)));
  return base::Ok{};
}

// The optional keys; each reader names its key in its error.
base::Status read_optional(const std::string& key, const json& value, const std::string& path,
                           ModelConfig& model) {
  if (key == "api_key_env") {
    if (!value.is_string()) return key_error(path, "a string (an environment variable name)");
    model.api_key_env = value.get<std::string>();
    return base::Ok{};
  }
  if (key == "max_concurrency") {
    return read_count(value, path, 1, kMaxConcurrency, model.max_concurrency);
  }
  if (key == "max_retries") return read_count(value, path, 0, kMaxRetries, model.max_retries);
  if (key == "usd_per_million_input") return read_price(value, path, model.usd_per_million_input);
  if (key == "usd_per_million_output") {
    return read_price(value, path, model.usd_per_million_output);
  }
  if (key == "timeout") return read_timeout(value, path, model.timeout);
  if (key == "max_retry_time") return read_timeout(value, path, model.max_retry_time);
  if (key == "breaker_failures") {
    return read_count(value, path, 0, kMaxBreakerFailures, model.breaker.failures);
  }
  if (key == "breaker_cool_down") return read_timeout(value, path, model.breaker.cool_down);
  return base::Error{path +
                     ": unknown key (expected one of name, base_url, model, "
                     "api_key_env, max_concurrency, usd_per_million_input, "
                     "usd_per_million_output, timeout, max_retries, max_retry_time, "
                     "breaker_failures, breaker_cool_down)"};
}

base::Expected<ModelConfig> parse_model(const json& entry, const std::string& prefix) {
  if (!entry.is_object()) return key_error(prefix, "an object");
  ModelConfig model;
  auto name = required_string(entry, prefix, "name");
  if (!name) return name.error();
  auto base_url = required_string(entry, prefix, "base_url");
  if (!base_url) return base_url.error();
  auto model_id = required_string(entry, prefix, "model");
  if (!model_id) return model_id.error();
  if (!base_url->starts_with("http://") && !base_url->starts_with("https://")) {
    return key_error(prefix + ".base_url", "an http:// or https:// URL");
  }
  model.name = std::move(*name);
  model.base_url = std::move(*base_url);
  model.model = std::move(*model_id);
  for (const auto& [key, value] : entry.items()) {
    if (key == "name" || key == "base_url" || key == "model") continue;
    auto status = read_optional(key, value, prefix + "." + key, model);
    if (!status) return status.error();
  }
  return model;
}

}  // namespace

base::Expected<std::vector<ModelConfig>> parse_models(const json& document) {
  if (!document.is_object()) return key_error("(document)", "an object with a \"models\" list");
  const auto list = document.find("models");
  if (list == document.end() || !list->is_array()) return key_error("models", "a list of models");
  std::vector<ModelConfig> models;
  std::set<std::string> names;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string prefix = "models[" + std::to_string(i) + "]";
    auto model = parse_model((*list)[i], prefix);
    if (!model) return model.error();
    if (!names.insert(model->name).second) {
      return base::Error{prefix + ".name: duplicate model name \"" + model->name + "\""};
    }
    models.push_back(std::move(*model));
  }
  return models;
}

base::Expected<std::vector<ModelConfig>> load_models(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    return base::Error{"open " + path + ": " + std::strerror(errno) + " (errno " +
                       std::to_string(errno) + ")"};
  }
  std::stringstream text;
  text << file.rdbuf();
  const json document = json::parse(text.str(), nullptr, /*allow_exceptions=*/false,
                                    /*ignore_comments=*/true);
  if (document.is_discarded()) return base::Error{path + ": not valid JSON"};
  auto models = parse_models(document);
  if (!models) return base::Error{path + ": " + models.error().message};
  return models;
}

}  // namespace agents::llm
