// Reading typed fields out of untrusted JSON objects with errors that name the JSON pointer and
// what was expected: "/options/n: expected an integer from 1 to 64, got \"five\"". Used by the
// task spec parser and by the patterns' plan parsers.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace agents::runtime {

// A short rendering of an untrusted value for error messages (cut, invalid UTF-8 replaced).
std::string shown(const nlohmann::json& value, size_t max_chars = 60);

class Fields {
 public:
  // `object` must outlive this; `pointer` is its JSON pointer ("" for the document).
  Fields(const nlohmann::json& object, std::string pointer);

  // Whether `object` was an object at all (check first; the getters then return errors).
  base::Status is_object() const;
  // "<pointer of the key>: unknown field; expected one of: a, b" for a key not in `known`.
  base::Status only(std::initializer_list<std::string_view> known) const;

  bool has(std::string_view key) const;
  const nlohmann::json* find(std::string_view key) const;
  // The JSON pointer of `key` in this object (escaped: a key may hold "/" or "~").
  std::string at(std::string_view key) const;

  base::Expected<std::string> string(std::string_view key, std::optional<std::string> fallback,
                                     size_t max_bytes = 1 << 20, bool non_empty = false) const;
  base::Expected<uint64_t> count(std::string_view key, uint64_t fallback, uint64_t min,
                                 uint64_t max) const;
  base::Expected<double> number(std::string_view key, double fallback, double min,
                                double max) const;
  base::Expected<bool> boolean(std::string_view key, bool fallback) const;

  base::Error error(std::string_view key, const std::string& expected) const;

 private:
  const nlohmann::json& object_;
  std::string pointer_;
};

}  // namespace agents::runtime
