#include "agents/runtime/json_fields.h"

#include <cmath>

#include "base/json_pointer.h"

namespace agents::runtime {

using nlohmann::json;

std::string shown(const json& value, size_t max_chars) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > max_chars) text = text.substr(0, max_chars > 3 ? max_chars - 3 : 0) + "...";
  return text;
}

Fields::Fields(const json& object, std::string pointer)
    : object_(object), pointer_(std::move(pointer)) {}

base::Status Fields::is_object() const {
  if (object_.is_object()) return base::Ok{};
  return base::Error{(pointer_.empty() ? "/" : pointer_) + ": expected an object, got " +
                     shown(object_)};
}

base::Status Fields::only(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, value] : object_.items()) {
    bool listed = false;
    for (std::string_view name : known) listed = listed || name == key;
    if (listed) continue;
    std::string names;
    for (std::string_view name : known) names += (names.empty() ? "" : ", ") + std::string(name);
    return base::Error{at(key) + ": unknown field; expected one of: " + names};
  }
  return base::Ok{};
}

std::string Fields::at(std::string_view key) const {
  return base::json_pointer_append(pointer_, key);
}

bool Fields::has(std::string_view key) const {
  return find(key) != nullptr;
}

const json* Fields::find(std::string_view key) const {
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

base::Error Fields::error(std::string_view key, const std::string& expected) const {
  const json* value = find(key);
  return base::Error{at(key) + ": expected " + expected +
                     (value ? ", got " + shown(*value) : ", but it is missing")};
}

base::Expected<std::string> Fields::string(std::string_view key,
                                           std::optional<std::string> fallback, size_t max_bytes,
                                           bool non_empty) const {
  const std::string expected = std::string(non_empty ? "a non-empty string" : "a string") +
                               " of at most " + std::to_string(max_bytes) + " bytes";
  const json* value = find(key);
  if (!value) {
    if (fallback) return *fallback;
    return error(key, expected);
  }
  if (!value->is_string()) return error(key, expected);
  const auto& text = value->get_ref<const std::string&>();
  if (text.size() > max_bytes || (non_empty && text.empty())) return error(key, expected);
  return text;
}

base::Expected<uint64_t> Fields::count(std::string_view key, uint64_t fallback, uint64_t min,
                                       uint64_t max) const {
  const json* value = find(key);
  if (!value) return fallback;
  const std::string expected =
      "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (value->is_number_unsigned()) {
    const uint64_t number = value->get<uint64_t>();
    if (number >= min && number <= max) return number;
  } else if (value->is_number_integer()) {
    const int64_t number = value->get<int64_t>();
    if (number >= 0 && static_cast<uint64_t>(number) >= min && static_cast<uint64_t>(number) <= max)
      return static_cast<uint64_t>(number);
  }
  return error(key, expected);
}

base::Expected<double> Fields::number(std::string_view key, double fallback, double min,
                                      double max) const {
  const json* value = find(key);
  if (!value) return fallback;
  if (value->is_number()) {
    const double number = value->get<double>();
    if (std::isfinite(number) && number >= min && number <= max) return number;
  }
  return error(key, "a number from " + shown(json(min)) + " to " + shown(json(max)));
}

base::Expected<bool> Fields::boolean(std::string_view key, bool fallback) const {
  const json* value = find(key);
  if (!value) return fallback;
  if (!value->is_boolean()) return error(key, "true or false");
  return value->get<bool>();
}

}  // namespace agents::runtime
