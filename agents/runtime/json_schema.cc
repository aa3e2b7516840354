#include "agents/runtime/json_schema.h"

#include <array>
#include <cmath>
#include <string_view>

#include "base/json_fields.h"
#include "base/json_pointer.h"

namespace agents::runtime {

using base::shown;

namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 7> kTypeNames = {"object",  "array",   "string", "number",
                                                        "integer", "boolean", "null"};
constexpr std::array<std::string_view, 6> kAnnotations = {"title",    "description", "default",
                                                          "examples", "$schema",     "$id"};

template <size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::string_view candidate : names)
    if (candidate == name) return true;
  return false;
}

std::string child(const std::string& pointer, std::string_view token) {
  return base::json_pointer_append(pointer, token);
}

base::Status fail(const std::string& pointer, const std::string& what) {
  return base::Error{(pointer.empty() ? "/" : pointer) + ": " + what};
}

bool is_count(const json& value) {
  return value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0);
}

base::Status check_type_keyword(const json& type, const std::string& pointer) {
  auto check_name = [&](const json& name, const std::string& at) -> base::Status {
    if (!name.is_string() || !contains(kTypeNames, name.get_ref<const std::string&>()))
      return fail(at,
                  "expected one of object, array, string, number, integer, boolean, null, "
                  "got " +
                      shown(name));
    return base::Ok{};
  };
  if (!type.is_array()) return check_name(type, pointer);
  if (type.empty()) return fail(pointer, "expected a non-empty list of type names");
  for (size_t i = 0; i < type.size(); ++i)
    if (auto s = check_name(type[i], child(pointer, std::to_string(i))); !s) return s;
  return base::Ok{};
}

base::Status check_at(const json& schema, const std::string& pointer, int depth);

base::Status check_keyword(const std::string& key, const json& value, const std::string& pointer,
                           int depth) {
  const std::string at = child(pointer, key);
  if (key == "type") return check_type_keyword(value, at);
  if (key == "properties") {
    if (!value.is_object()) return fail(at, "expected an object of schemas");
    for (const auto& [name, sub] : value.items())
      if (auto s = check_at(sub, child(at, name), depth + 1); !s) return s;
    return base::Ok{};
  }
  if (key == "required") {
    if (!value.is_array()) return fail(at, "expected a list of property names");
    for (const json& name : value)
      if (!name.is_string()) return fail(at, "expected property names, got " + shown(name));
    return base::Ok{};
  }
  if (key == "additionalProperties") {
    if (value.is_boolean()) return base::Ok{};
    return check_at(value, at, depth + 1);
  }
  if (key == "items") return check_at(value, at, depth + 1);
  if (key == "enum") {
    if (!value.is_array() || value.empty()) return fail(at, "expected a non-empty list");
    return base::Ok{};
  }
  if (key == "const") return base::Ok{};
  if (key == "minimum" || key == "maximum") {
    if (!value.is_number()) return fail(at, "expected a number, got " + shown(value));
    return base::Ok{};
  }
  if (key == "minLength" || key == "maxLength" || key == "minItems" || key == "maxItems") {
    if (!is_count(value)) return fail(at, "expected a non-negative integer, got " + shown(value));
    return base::Ok{};
  }
  if (contains(kAnnotations, key)) return base::Ok{};
  return fail(at,
              "unsupported keyword; supported: type, properties, required, "
              "additionalProperties, items, enum, const, minimum, maximum, minLength, "
              "maxLength, minItems, maxItems");
}

base::Status check_at(const json& schema, const std::string& pointer, int depth) {
  if (depth > kMaxSchemaDepth)
    return fail(pointer, "schema nested deeper than " + std::to_string(kMaxSchemaDepth));
  if (schema.is_boolean()) return base::Ok{};
  if (!schema.is_object()) return fail(pointer, "expected a schema object, got " + shown(schema));
  for (const auto& [key, value] : schema.items())
    if (auto s = check_keyword(key, value, pointer, depth); !s) return s;
  return base::Ok{};
}

// An integer as its sign and magnitude, so that int64 and uint64 values compare exactly.
struct Integer {
  bool negative;
  uint64_t magnitude;
};
Integer integer_of(const json& value) {
  if (value.is_number_unsigned()) return {false, value.get<uint64_t>()};
  const int64_t i = value.get<int64_t>();
  // -(i + 1) + 1 so that the most negative int64 does not overflow.
  return {i < 0, i < 0 ? static_cast<uint64_t>(-(i + 1)) + 1 : static_cast<uint64_t>(i)};
}

int compare_magnitude(uint64_t magnitude, double x) {
  constexpr double kTwoTo64 = 18446744073709551616.0;
  if (x < 0) return 1;
  if (x >= kTwoTo64) return -1;
  const double whole = std::floor(x);  // exact: a double's floor is a double below 2^64
  const auto truncated = static_cast<uint64_t>(whole);
  if (magnitude != truncated) return magnitude < truncated ? -1 : 1;
  return x > whole ? -1 : 0;
}

// -1, 0 or 1 as a is below, equal to or above b, exactly. nlohmann's comparisons go through
// doubles (2^53 + 1 equals 2^53) or casts (18446744073709551615 equals -1).
int compare_numbers(const json& a, const json& b) {
  if (a.is_number_float() && b.is_number_float()) {
    const double x = a.get<double>();
    const double y = b.get<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_number_float()) return -compare_numbers(b, a);
  const Integer i = integer_of(a);
  if (b.is_number_float()) {
    const double y = b.get<double>();
    return i.negative ? -compare_magnitude(i.magnitude, -y) : compare_magnitude(i.magnitude, y);
  }
  const Integer j = integer_of(b);
  if (i.negative != j.negative) return i.negative ? -1 : 1;
  if (i.magnitude == j.magnitude) return 0;
  return (i.magnitude < j.magnitude) != i.negative ? -1 : 1;
}

// JSON Schema's equality: numbers by value (1 is 1.0), objects whatever their key order.
bool equal(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return compare_numbers(a, b) == 0;
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!equal(a[i], b[i])) return false;
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [key, value] : a.items()) {
      const auto other = b.find(key);
      if (other == b.end() || !equal(value, *other)) return false;
    }
    return true;
  }
  return a == b;
}

bool has_type(const json& value, std::string_view type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  if (type == "integer") {
    if (value.is_number_integer()) return true;
    if (!value.is_number_float()) return false;
    const double number = value.get<double>();
    return std::isfinite(number) && std::floor(number) == number;
  }
  return false;
}

// Length in code points, as JSON Schema counts it (continuation bytes are not counted).
size_t utf8_length(const std::string& text) {
  size_t count = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++count;
  return count;
}

class Validator {
 public:
  explicit Validator(size_t max_errors) : max_errors_(max_errors) {}

  void run(const json& value, const json& schema, const std::string& pointer) {
    if (full()) return;
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) add(pointer, "no value is allowed here");
      return;
    }
    if (auto type = schema.find("type"); type != schema.end() && !type_matches(value, *type)) {
      add(pointer, "expected " + describe_type(*type) + ", got " + shown(value));
      return;  // the other keywords would only repeat the mismatch
    }
    check_enum_and_const(value, schema, pointer);
    if (value.is_number()) check_range(value, schema, pointer);
    if (value.is_string()) check_length(value.get_ref<const std::string&>(), schema, pointer);
    if (value.is_array()) check_array(value, schema, pointer);
    if (value.is_object()) check_object(value, schema, pointer);
  }

  std::vector<std::string> take() { return std::move(errors_); }

 private:
  bool full() const { return errors_.size() >= max_errors_; }
  void add(const std::string& pointer, const std::string& what) {
    if (!full()) errors_.push_back((pointer.empty() ? "/" : pointer) + ": " + what);
  }

  static bool type_matches(const json& value, const json& type) {
    if (type.is_string()) return has_type(value, type.get_ref<const std::string&>());
    for (const json& name : type)
      if (has_type(value, name.get_ref<const std::string&>())) return true;
    return false;
  }
  static std::string describe_type(const json& type) {
    if (type.is_string()) return "type " + type.get<std::string>();
    std::string text = "one of types";
    for (const json& name : type) text += " " + name.get<std::string>();
    return text;
  }

  void check_enum_and_const(const json& value, const json& schema, const std::string& pointer) {
    if (auto e = schema.find("enum"); e != schema.end()) {
      bool found = false;
      for (const json& option : *e) found = found || equal(option, value);
      if (!found) add(pointer, "expected one of " + shown(*e) + ", got " + shown(value));
    }
    if (auto c = schema.find("const"); c != schema.end() && !equal(*c, value))
      add(pointer, "expected " + shown(*c) + ", got " + shown(value));
  }

  void check_range(const json& value, const json& schema, const std::string& pointer) {
    if (auto m = schema.find("minimum"); m != schema.end() && compare_numbers(value, *m) < 0)
      add(pointer, "expected at least " + shown(*m) + ", got " + shown(value));
    if (auto m = schema.find("maximum"); m != schema.end() && compare_numbers(value, *m) > 0)
      add(pointer, "expected at most " + shown(*m) + ", got " + shown(value));
  }

  void check_length(const std::string& text, const json& schema, const std::string& pointer) {
    const size_t length = utf8_length(text);
    if (auto m = schema.find("minLength"); m != schema.end() && length < m->get<uint64_t>())
      add(pointer, "expected at least " + shown(*m) + " characters, got " + std::to_string(length));
    if (auto m = schema.find("maxLength"); m != schema.end() && length > m->get<uint64_t>())
      add(pointer, "expected at most " + shown(*m) + " characters, got " + std::to_string(length));
  }

  void check_array(const json& value, const json& schema, const std::string& pointer) {
    if (auto m = schema.find("minItems"); m != schema.end() && value.size() < m->get<uint64_t>())
      add(pointer,
          "expected at least " + shown(*m) + " items, got " + std::to_string(value.size()));
    if (auto m = schema.find("maxItems"); m != schema.end() && value.size() > m->get<uint64_t>())
      add(pointer, "expected at most " + shown(*m) + " items, got " + std::to_string(value.size()));
    if (auto items = schema.find("items"); items != schema.end())
      for (size_t i = 0; i < value.size() && !full(); ++i)
        run(value[i], *items, child(pointer, std::to_string(i)));
  }

  void check_object(const json& value, const json& schema, const std::string& pointer) {
    if (auto required = schema.find("required"); required != schema.end())
      for (const json& name : *required)
        if (!value.contains(name.get_ref<const std::string&>()))
          add(pointer, "missing required property " + shown(name));
    const auto properties = schema.find("properties");
    const auto additional = schema.find("additionalProperties");
    for (const auto& [name, sub_value] : value.items()) {
      const std::string at = child(pointer, name);
      if (properties != schema.end() && properties->contains(name)) {
        run(sub_value, (*properties)[name], at);
      } else if (additional != schema.end()) {
        if (additional->is_boolean() && !additional->get<bool>())
          add(at, "property not allowed (additionalProperties is false)");
        else if (additional->is_object())
          run(sub_value, *additional, at);
      }
    }
  }

  size_t max_errors_;
  std::vector<std::string> errors_;
};

}  // namespace

base::Status check_schema(const json& schema) {
  return check_at(schema, "", 0);
}

std::vector<std::string> validate(const json& value, const json& schema, size_t max_errors) {
  Validator validator(max_errors == 0 ? 1 : max_errors);
  validator.run(value, schema, "");
  return validator.take();
}

}  // namespace agents::runtime
