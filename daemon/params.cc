#include "daemon/params.h"

namespace agentd {

using nlohmann::json;

rpc::Failure invalid_params_because(std::string pointer, const std::string& problem,
                                    std::string expected) {
  std::string message = "invalid params: " + pointer + ": " + problem + "; expected " + expected;
  return rpc::Failure{rpc::invalid_params, std::move(message),
                      json{{"path", std::move(pointer)}, {"expected", std::move(expected)}}};
}

Params::Params(const json& params, std::initializer_list<std::string_view> known)
    : fields_(params, "") {
  if (!fields_.expect_object()) {
    failure_ = rpc::invalid_params_at("", "params as an object (named parameters)");
    return;
  }
  if (auto only = fields_.only(known, "parameter"); !only) fail(only.error());
}

void Params::fail(const base::FieldError& error) {
  if (failure_) return;
  failure_ = error.problem.empty()
                 ? rpc::invalid_params_at(error.pointer, error.expected)
                 : invalid_params_because(error.pointer, error.problem, error.expected);
}

void Params::fail(std::string_view key, std::string expected) {
  fail(fields_.error(key, std::move(expected)));
}

template <class T>
T Params::value_or(base::FieldResult<T> read, T fallback) {
  if (read) return std::move(read).value();
  fail(read.error());
  return fallback;
}

std::string Params::string(std::string_view key, size_t max_bytes) {
  return value_or(fields_.string(key, std::nullopt, max_bytes, true), std::string());
}

std::optional<std::string> Params::optional_string(std::string_view key, size_t max_bytes) {
  if (!find(key)) return std::nullopt;
  auto read = fields_.string(key, std::nullopt, max_bytes, true);
  if (read) return std::move(read).value();
  fail(read.error());
  return std::nullopt;
}

uint64_t Params::count(std::string_view key, uint64_t fallback, uint64_t min, uint64_t max) {
  return value_or(fields_.count(key, fallback, min, max), fallback);
}

double Params::number(std::string_view key, double fallback, double min, double max) {
  return value_or(fields_.number(key, fallback, min, max), fallback);
}

}  // namespace agentd
