#include "daemon/config_reader.h"

#include <cmath>

namespace agentd::config {
namespace {

using nlohmann::json;

const json& empty_object() {
  static const json empty = json::object();
  return empty;
}

}  // namespace

std::string shown(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

Reader::Reader(const json& object, std::string path, std::vector<std::string>& errors)
    : object_(object), path_(std::move(path)), errors_(errors) {
  if (!object_.is_object())
    errors_.push_back((path_.empty() ? std::string("the configuration") : path_) +
                      ": expected an object, got " + shown(object_));
}

void Reader::only(std::initializer_list<std::string_view> known) {
  if (!is_object()) return;
  for (const auto& [key, value] : object_.items()) {
    bool listed = false;
    for (std::string_view k : known) listed = listed || k == key;
    if (listed) continue;
    std::string names;
    for (std::string_view k : known) names += (names.empty() ? "" : ", ") + std::string(k);
    errors_.push_back(key_path(shown(json(key))) + ": unknown key; expected one of: " + names);
  }
}

const json* Reader::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

std::string Reader::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

Reader Reader::child(std::string_view key) {
  const json* value = find(key);
  return Reader(value ? *value : empty_object(), key_path(key), errors_);
}

void Reader::error(std::string_view key, const std::string& message) {
  errors_.push_back(key_path(key) + ": " + message);
}

void Reader::string(std::string_view key, std::string& out, bool non_empty) {
  const json* value = find(key);
  if (!value) return;
  if (!value->is_string() || (non_empty && value->get_ref<const std::string&>().empty())) {
    error(key, std::string("expected ") + (non_empty ? "a non-empty string" : "a string") +
                   ", got " + shown(*value));
    return;
  }
  out = value->get<std::string>();
}

void Reader::boolean(std::string_view key, bool& out) {
  const json* value = find(key);
  if (!value) return;
  if (!value->is_boolean()) return error(key, "expected true or false, got " + shown(*value));
  out = value->get<bool>();
}

void Reader::count(std::string_view key, uint64_t& out, uint64_t min, uint64_t max) {
  const json* value = find(key);
  if (!value) return;
  const bool integer =
      value->is_number_unsigned() || (value->is_number_integer() && value->get<int64_t>() >= 0);
  if (!integer || value->get<uint64_t>() < min || value->get<uint64_t>() > max) {
    error(key, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                   ", got " + shown(*value));
    return;
  }
  out = value->get<uint64_t>();
}

void Reader::count(std::string_view key, uint32_t& out, uint32_t min, uint32_t max) {
  uint64_t wide = out;
  count(key, wide, min, max);
  out = static_cast<uint32_t>(wide);
}

void Reader::number(std::string_view key, double& out, double min, double max) {
  const json* value = find(key);
  if (!value) return;
  if (!value->is_number() || !std::isfinite(value->get<double>()) || value->get<double>() < min ||
      value->get<double>() > max) {
    error(key, "expected a number from " + shown(json(min)) + " to " + shown(json(max)) + ", got " +
                   shown(*value));
    return;
  }
  out = value->get<double>();
}

void Reader::seconds(std::string_view key, std::chrono::milliseconds& out, double min, double max) {
  double seconds = static_cast<double>(out.count()) / 1000.0;
  const size_t before = errors_.size();
  number(key, seconds, min, max);
  if (errors_.size() == before)
    out = std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000.0)));
}

void Reader::strings(std::string_view key, std::vector<std::string>& out) {
  const json* value = find(key);
  if (!value) return;
  if (!value->is_array()) return error(key, "expected an array of strings, got " + shown(*value));
  std::vector<std::string> read;
  for (size_t i = 0; i < value->size(); ++i) {
    const json& item = (*value)[i];
    if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
      error(std::string(key) + "[" + std::to_string(i) + "]",
            "expected a non-empty string, got " + shown(item));
      return;
    }
    read.push_back(item.get<std::string>());
  }
  out = std::move(read);
}

}  // namespace agentd::config
