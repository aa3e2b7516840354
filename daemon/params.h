// Reading a method's params (hostile input) with base::JsonFields, the first mistake kept as
// -32602 whose data names the JSON pointer and what was expected (protocol.md's
// {path, expected}).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/json_fields.h"
#include "daemon/rpc.h"

namespace agentd {

// -32602 for a value that is wrong in a way "expected ..." alone reads badly ("unknown
// parameter", "unknown field"): the message reads "<pointer>: <problem>; expected <expected>",
// and data keeps protocol.md's {path, expected}.
rpc::Failure invalid_params_because(std::string pointer, const std::string& problem,
                                    std::string expected);

class Params {
 public:
  // `params` must outlive this. Not an object, or a key not in `known`, is a failure.
  Params(const nlohmann::json& params, std::initializer_list<std::string_view> known);

  const nlohmann::json* find(std::string_view key) const { return fields_.find(key); }
  // Required strings are non-empty; at most `max_bytes`.
  std::string string(std::string_view key, size_t max_bytes = 256);
  std::optional<std::string> optional_string(std::string_view key, size_t max_bytes = 256);
  uint64_t count(std::string_view key, uint64_t fallback, uint64_t min, uint64_t max);
  double number(std::string_view key, double fallback, double min, double max);

  void fail(std::string_view key, std::string expected);
  const std::optional<rpc::Failure>& failure() const { return failure_; }

 private:
  // Keeps the first failure: a client fixes one mistake at a time, and later reads may only
  // be consequences of it.
  void fail(const base::FieldError& error);
  template <class T>
  T value_or(base::FieldResult<T> read, T fallback);

  base::JsonFields fields_;
  std::optional<rpc::Failure> failure_;
};

}  // namespace agentd
