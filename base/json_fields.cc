#include "base/json_fields.h"

#include <cmath>

#include "base/json_pointer.h"

namespace base {
namespace {

using nlohmann::json;

// The document's own pointer is "", which reads as nothing in a message; "/" is how the
// readers have always named it there (FieldError::pointer keeps the real "").
std::string pointer_in_message(const std::string& pointer) {
  return pointer.empty() ? "/" : pointer;
}

std::string field_message(const std::string& pointer, const std::string& problem,
                          const std::string& expected, const std::optional<std::string>& got) {
  const std::string where = pointer_in_message(pointer) + ": ";
  if (!problem.empty()) return where + problem + "; expected " + expected;
  return where + "expected " + expected + (got ? ", got " + *got : ", but it is missing");
}

std::string names_of(std::initializer_list<std::string_view> known, std::string_view noun) {
  if (known.size() == 0) return "no " + std::string(noun) + "s";
  std::string names;
  for (std::string_view name : known) names += (names.empty() ? "" : ", ") + std::string(name);
  return "one of: " + names;
}

bool listed(std::initializer_list<std::string_view> known, std::string_view key) {
  for (std::string_view name : known)
    if (name == key) return true;
  return false;
}

// The integer a JSON number holds, when it holds a non-negative one (a parsed "-1" is a signed
// integer, "1.0" a float: neither is a count).
std::optional<uint64_t> unsigned_integer(const json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0)
    return static_cast<uint64_t>(value.get<int64_t>());
  return std::nullopt;
}

}  // namespace

std::string shown(const json& value, size_t max_chars) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > max_chars) text = text.substr(0, max_chars > 3 ? max_chars - 3 : 0) + "...";
  return text;
}

FieldError::FieldError(std::string pointer_, std::string problem_, std::string expected_,
                       std::optional<std::string> got_)
    : Error{field_message(pointer_, problem_, expected_, got_)},
      pointer(std::move(pointer_)),
      problem(std::move(problem_)),
      expected(std::move(expected_)),
      got(std::move(got_)) {}

JsonFields::JsonFields(const json& object, std::string pointer)
    : object_(object), pointer_(std::move(pointer)) {}

FieldStatus JsonFields::expect_object() const {
  if (object_.is_object()) return Ok{};
  return FieldError(pointer_, "", "an object", shown(object_));
}

std::vector<FieldError> JsonFields::unknown_keys(std::initializer_list<std::string_view> known,
                                                 std::string_view noun) const {
  std::vector<FieldError> unknown;
  if (!object_.is_object()) return unknown;
  for (const auto& item : object_.items())
    if (!listed(known, item.key()))
      unknown.emplace_back(at(item.key()), "unknown " + std::string(noun), names_of(known, noun),
                           std::nullopt);
  return unknown;
}

FieldStatus JsonFields::only(std::initializer_list<std::string_view> known,
                             std::string_view noun) const {
  std::vector<FieldError> unknown = unknown_keys(known, noun);
  if (unknown.empty()) return Ok{};
  return std::move(unknown.front());
}

const json* JsonFields::find(std::string_view key) const {
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

std::string JsonFields::at(std::string_view key) const {
  return json_pointer_append(pointer_, key);
}

JsonFields JsonFields::child(std::string_view key) const {
  static const json empty = json::object();
  const json* value = find(key);
  return JsonFields(value ? *value : empty, at(key));
}

FieldError JsonFields::error(std::string_view key, std::string expected) const {
  const json* value = find(key);
  return FieldError(at(key), "", std::move(expected),
                    value ? std::optional<std::string>(shown(*value)) : std::nullopt);
}

FieldResult<std::string> JsonFields::string(std::string_view key,
                                            std::optional<std::string> fallback, size_t max_bytes,
                                            bool non_empty) const {
  const json* value = find(key);
  if (!value && fallback) return std::move(*fallback);
  const bool fits = value && value->is_string() &&
                    value->get_ref<const std::string&>().size() <= max_bytes &&
                    !(non_empty && value->get_ref<const std::string&>().empty());
  if (fits) return value->get<std::string>();
  std::string expected = non_empty ? "a non-empty string" : "a string";
  if (max_bytes != kAnyLength) expected += " of at most " + std::to_string(max_bytes) + " bytes";
  return error(key, std::move(expected));
}

FieldResult<uint64_t> JsonFields::count(std::string_view key, uint64_t fallback, uint64_t min,
                                        uint64_t max) const {
  const json* value = find(key);
  if (!value) return fallback;
  const std::optional<uint64_t> number = unsigned_integer(*value);
  if (number && *number >= min && *number <= max) return *number;
  return error(key, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
}

FieldResult<double> JsonFields::number(std::string_view key, double fallback, double min,
                                       double max) const {
  const json* value = find(key);
  if (!value) return fallback;
  if (value->is_number()) {
    const double number = value->get<double>();
    if (std::isfinite(number) && number >= min && number <= max) return number;
  }
  return error(key, "a number from " + shown(json(min)) + " to " + shown(json(max)));
}

FieldResult<bool> JsonFields::boolean(std::string_view key, bool fallback) const {
  const json* value = find(key);
  if (!value) return fallback;
  if (!value->is_boolean()) return error(key, "true or false");
  return value->get<bool>();
}

FieldResult<std::vector<std::string>> JsonFields::strings(std::string_view key,
                                                          std::vector<std::string> fallback) const {
  const json* value = find(key);
  if (!value) return fallback;
  if (!value->is_array()) return error(key, "an array of strings");
  std::vector<std::string> read;
  for (size_t i = 0; i < value->size(); ++i) {
    const json& item = (*value)[i];
    if (!item.is_string() || item.get_ref<const std::string&>().empty())
      return FieldError(json_pointer_append(at(key), i), "", "a non-empty string", shown(item));
    read.push_back(item.get<std::string>());
  }
  return read;
}

}  // namespace base
