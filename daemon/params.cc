#include "daemon/params.h"

#include <cmath>

#include "base/json_pointer.h"

namespace agentd {

using nlohmann::json;

rpc::Failure invalid_params_because(std::string pointer, const std::string& problem,
                                    std::string expected) {
  std::string message = "invalid params: " + pointer + ": " + problem + "; expected " + expected;
  return rpc::Failure{rpc::invalid_params, std::move(message),
                      json{{"path", std::move(pointer)}, {"expected", std::move(expected)}}};
}

Params::Params(const json& params, std::initializer_list<std::string_view> known)
    : params_(params) {
  if (!params_.is_object()) {
    failure_ = rpc::invalid_params_at("", "params as an object (named parameters)");
    return;
  }
  for (const auto& [key, value] : params_.items()) {
    bool listed = false;
    for (std::string_view k : known) listed = listed || k == key;
    if (listed) continue;
    std::string names;
    for (std::string_view k : known) names += (names.empty() ? "" : ", ") + std::string(k);
    failure_ =
        invalid_params_because(base::json_pointer_append("", key), "unknown parameter",
                               names.empty() ? std::string("no parameters") : "one of: " + names);
    return;
  }
}

const json* Params::find(std::string_view key) const {
  if (!params_.is_object()) return nullptr;
  auto it = params_.find(key);
  return it == params_.end() ? nullptr : &*it;
}

void Params::fail(std::string_view key, std::string expected) {
  if (!failure_)
    failure_ = rpc::invalid_params_at(base::json_pointer_append("", key), std::move(expected));
}

std::string Params::string(std::string_view key, size_t max_bytes) {
  const json* value = find(key);
  if (!value || !value->is_string() || value->get_ref<const std::string&>().empty() ||
      value->get_ref<const std::string&>().size() > max_bytes) {
    fail(key, "a non-empty string of at most " + std::to_string(max_bytes) + " bytes");
    return {};
  }
  return value->get<std::string>();
}

std::optional<std::string> Params::optional_string(std::string_view key, size_t max_bytes) {
  if (!find(key)) return std::nullopt;
  std::string value = string(key, max_bytes);
  if (failure_) return std::nullopt;
  return value;
}

uint64_t Params::count(std::string_view key, uint64_t fallback, uint64_t min, uint64_t max) {
  const json* value = find(key);
  if (!value) return fallback;
  const bool integer =
      value->is_number_unsigned() || (value->is_number_integer() && value->get<int64_t>() >= 0);
  if (!integer || value->get<uint64_t>() < min || value->get<uint64_t>() > max) {
    fail(key, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return fallback;
  }
  return value->get<uint64_t>();
}

double Params::number(std::string_view key, double fallback, double min, double max) {
  const json* value = find(key);
  if (!value) return fallback;
  if (!value->is_number() || !std::isfinite(value->get<double>()) || value->get<double>() < min ||
      value->get<double>() > max) {
    fail(key, "a number from " + rpc::dump(json(min)) + " to " + rpc::dump(json(max)));
    return fallback;
  }
  return value->get<double>();
}

}  // namespace agentd
