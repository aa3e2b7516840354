// The value kinds policy and caps files use (sizes, durations, CPU cores, globs, hosts...):
// one function that says what is wrong with a JSON value (the "expected ..." part of a
// diagnostic), and one that reads a value already checked.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace policies {

// nullopt when the value is acceptable, else "expected ..." (the caller adds ", got X").
using ValueCheck = std::function<std::optional<std::string>(const nlohmann::json&)>;

ValueCheck string_check(size_t max_bytes);
ValueCheck boolean_check();
ValueCheck integer_check(int64_t min, int64_t max);
ValueCheck one_of_check(const std::vector<std::string>& choices);
// A size: a non-negative integer (bytes) or a string like "512M"; at least `min_bytes`.
ValueCheck size_check(uint64_t min_bytes);
// A duration: a number of seconds or a string like "10s", "500ms", "2m"; at least `min`.
ValueCheck duration_check(std::chrono::milliseconds min);
// CPU cores as a number: 0.5, 2; from 0.01 to 1024.
ValueCheck cores_check();
ValueCheck glob_check();
ValueCheck host_pattern_check();
ValueCheck cidr_check();
ValueCheck language_check();
ValueCheck http_method_check();
// `extends`: a policy name ("coder", "builtin:coder") or a file path ("../base.json").
ValueCheck policy_reference_check();
// `seccomp`: "default" or a Docker-format profile file ("profiles/strict.json").
ValueCheck seccomp_reference_check();
ValueCheck env_name_check();
ValueCheck env_value_check();

// Readers for checked values.
uint64_t read_size(const nlohmann::json& value);
std::chrono::milliseconds read_duration(const nlohmann::json& value);
uint32_t read_millicores(const nlohmann::json& value);

// Whether a reference (extends, seccomp) names a file rather than a built-in.
bool is_file_reference(const std::string& reference);

// "10s", "500ms", "2m": exact, for messages and effective policies.
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace policies
