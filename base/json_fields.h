// Reading typed fields out of JSON objects, each check written once for every reader in the
// house: task specs (first error, as text), JSON-RPC params (first error, as -32602 with
// {path, expected}) and the configuration (every error, as lines). A mistake is kept in parts
// (the RFC 6901 pointer, what was expected, what was there) so that each caller can word it its
// own way without parsing a message; message() is the common wording:
// "/options/n: expected an integer from 1 to 64, got \"five\"".
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/expected.h"

namespace base {

// A short rendering of an untrusted value for error messages (cut, invalid UTF-8 replaced).
std::string shown(const nlohmann::json& value, size_t max_chars = 60);

// One field's mistake. It is a base::Error (message filled in), so that a caller that only
// passes errors on can return it as one.
struct FieldError : Error {
  std::string pointer;             // RFC 6901; "" is the document itself
  std::string problem;             // empty for a wrong value; "unknown field" and the like
  std::string expected;            // "an integer from 1 to 64"
  std::optional<std::string> got;  // the value, shown; none when it is missing

  FieldError(std::string pointer, std::string problem, std::string expected,
             std::optional<std::string> got);
};

// A field's value or its mistake, with the mistake's parts kept.
template <class T>
using FieldResult = Expected<T, FieldError>;
using FieldStatus = FieldResult<Ok>;

// Strings have no length limit unless one is given.
inline constexpr size_t kAnyLength = std::numeric_limits<size_t>::max();

class JsonFields {
 public:
  // `object` must outlive this; `pointer` is its JSON pointer ("" for the document).
  JsonFields(const nlohmann::json& object, std::string pointer);

  const nlohmann::json& object() const { return object_; }
  const std::string& pointer() const { return pointer_; }

  // Whether the value is an object at all (check first: the getters read nothing from a
  // non-object, so they return their fallbacks).
  FieldStatus expect_object() const;
  // Every key not in `known`: "<pointer>: unknown <noun>; expected one of: a, b", in the
  // object's key order. `noun` is what the caller's readers call a key ("field", "parameter").
  std::vector<FieldError> unknown_keys(std::initializer_list<std::string_view> known,
                                       std::string_view noun = "field") const;
  // The first of unknown_keys(), for callers that stop at the first mistake.
  FieldStatus only(std::initializer_list<std::string_view> known,
                   std::string_view noun = "field") const;

  bool has(std::string_view key) const { return find(key) != nullptr; }
  const nlohmann::json* find(std::string_view key) const;
  // The JSON pointer of `key` in this object (escaped: a key may hold "/" or "~").
  std::string at(std::string_view key) const;
  // The fields of the value at `key`; an absent key reads as an empty object, so that an
  // optional section's defaults hold.
  JsonFields child(std::string_view key) const;

  // A missing key gives `fallback`; without one, a missing key is a mistake.
  FieldResult<std::string> string(std::string_view key, std::optional<std::string> fallback,
                                  size_t max_bytes = kAnyLength, bool non_empty = false) const;
  // An integer in [min, max]; negative numbers and fractions are refused.
  FieldResult<uint64_t> count(std::string_view key, uint64_t fallback, uint64_t min,
                              uint64_t max) const;
  // A finite number in [min, max].
  FieldResult<double> number(std::string_view key, double fallback, double min, double max) const;
  FieldResult<bool> boolean(std::string_view key, bool fallback) const;
  // An array of non-empty strings; a bad element is named by its own pointer ("/dirs/1").
  FieldResult<std::vector<std::string>> strings(std::string_view key,
                                                std::vector<std::string> fallback) const;

  // "<pointer of key>: expected <expected>, got <value>" (or ", but it is missing"), for the
  // checks only the caller knows (one of a set of names, a path of some shape).
  FieldError error(std::string_view key, std::string expected) const;

 private:
  const nlohmann::json& object_;
  std::string pointer_;
};

}  // namespace base
