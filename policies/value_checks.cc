#include "policies/value_checks.h"

#include <cctype>
#include <cmath>
#include <utility>

#include "base/size.h"
#include "policies/url.h"
#include "policies/workspace_path.h"

namespace policies {
namespace {

using nlohmann::json;

// For lists of strings: the element must be a string, then pass `check`.
ValueCheck string_then(std::string expected,
                       std::function<std::optional<std::string>(const std::string&)> check) {
  return [expected = std::move(expected),
          check = std::move(check)](const json& value) -> std::optional<std::string> {
    if (!value.is_string()) return expected;
    return check(value.get<std::string>());
  };
}

std::optional<uint64_t> size_of(const json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (!value.is_string()) return std::nullopt;
  auto parsed = base::parse_size(value.get<std::string>());
  if (!parsed) return std::nullopt;
  return parsed.value();
}

std::optional<std::chrono::milliseconds> duration_of(const json& value) {
  if (value.is_number()) {
    double seconds = value.get<double>();
    if (!(seconds >= 0 && seconds <= 365.0 * 24 * 3600)) return std::nullopt;
    return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(seconds * 1000)));
  }
  if (!value.is_string()) return std::nullopt;
  auto parsed = base::parse_duration(value.get<std::string>());
  if (!parsed) return std::nullopt;
  return parsed.value();
}

bool valid_policy_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return name.front() != '-' && name.front() != '_';
}

}  // namespace

ValueCheck string_check(size_t max_bytes) {
  return string_then(
      "expected a string", [max_bytes](const std::string& text) -> std::optional<std::string> {
        if (text.size() > max_bytes)
          return "expected a string of at most " + std::to_string(max_bytes) + " bytes";
        return std::nullopt;
      });
}

ValueCheck boolean_check() {
  return [](const json& value) -> std::optional<std::string> {
    if (value.is_boolean()) return std::nullopt;
    return "expected true or false";
  };
}

ValueCheck integer_check(int64_t min, int64_t max) {
  return [min, max](const json& value) -> std::optional<std::string> {
    std::string expected =
        "expected an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (value.is_number_unsigned()) {
      if (value.get<uint64_t>() <= static_cast<uint64_t>(max) &&
          static_cast<int64_t>(value.get<uint64_t>()) >= min)
        return std::nullopt;
      return expected;
    }
    if (value.is_number_integer() && value.get<int64_t>() >= min && value.get<int64_t>() <= max)
      return std::nullopt;
    return expected;
  };
}

ValueCheck one_of_check(const std::vector<std::string>& choices) {
  std::string expected = "expected one of";
  for (const std::string& choice : choices) expected += " \"" + choice + "\"";
  return string_then(expected,
                     [choices, expected](const std::string& text) -> std::optional<std::string> {
                       for (const std::string& choice : choices) {
                         if (text == choice) return std::nullopt;
                       }
                       return expected;
                     });
}

ValueCheck size_check(uint64_t min_bytes) {
  return [min_bytes](const json& value) -> std::optional<std::string> {
    std::optional<uint64_t> bytes = size_of(value);
    if (!bytes) return "expected a size like \"512M\"";
    if (*bytes < min_bytes) return "expected a size of at least " + base::format_size(min_bytes);
    return std::nullopt;
  };
}

ValueCheck duration_check(std::chrono::milliseconds min) {
  return [min](const json& value) -> std::optional<std::string> {
    std::optional<std::chrono::milliseconds> duration = duration_of(value);
    if (!duration) return "expected a duration like \"10s\" or \"500ms\"";
    if (*duration < min) return "expected a duration of at least " + format_duration(min);
    return std::nullopt;
  };
}

ValueCheck cores_check() {
  return [](const json& value) -> std::optional<std::string> {
    if (value.is_number() && value.get<double>() >= 0.01 && value.get<double>() <= 1024)
      return std::nullopt;
    return "expected a number of CPU cores from 0.01 to 1024, like 0.5 or 2";
  };
}

ValueCheck glob_check() {
  return string_then("expected a glob string like \"src/**\"",
                     [](const std::string& glob) { return glob_problem(glob); });
}

ValueCheck host_pattern_check() {
  return string_then("expected a host string like \"example.com\"",
                     [](const std::string& host) { return host_pattern_problem(host); });
}

ValueCheck cidr_check() {
  return string_then("expected an address range string like \"10.0.0.0/8\"",
                     [](const std::string& cidr) { return cidr_problem(cidr); });
}

ValueCheck language_check() {
  return one_of_check({"python", "bash", "c", "cpp", "node"});
}

ValueCheck http_method_check() {
  return one_of_check({"GET", "HEAD"});
}

ValueCheck policy_reference_check() {
  const std::string expected =
      "expected a policy name like \"coder\" or \"builtin:coder\", or a file path like "
      "\"base.json\"";
  return string_then(
      expected, [expected](const std::string& reference) -> std::optional<std::string> {
        if (is_file_reference(reference)) {
          if (reference.size() > kMaxWorkspacePathBytes ||
              reference.find('\0') != std::string::npos)
            return expected;
          return std::nullopt;
        }
        std::string name = reference.rfind("builtin:", 0) == 0 ? reference.substr(8) : reference;
        if (valid_policy_name(name)) return std::nullopt;
        return expected;
      });
}

ValueCheck seccomp_reference_check() {
  const std::string expected =
      "expected \"default\" or a Docker-format profile file like \"profiles/strict.json\"";
  return string_then(
      expected, [expected](const std::string& reference) -> std::optional<std::string> {
        if (reference == "default") return std::nullopt;
        if (is_file_reference(reference) && reference.size() <= kMaxWorkspacePathBytes &&
            reference.find('\0') == std::string::npos)
          return std::nullopt;
        return expected;
      });
}

ValueCheck env_name_check() {
  const std::string expected =
      "expected a variable name of letters, digits and '_', not starting with a digit";
  return string_then(expected, [expected](const std::string& name) -> std::optional<std::string> {
    if (name.empty() || name.size() > 128 || std::isdigit(static_cast<unsigned char>(name[0])))
      return expected;
    for (char c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return expected;
    }
    return std::nullopt;
  });
}

ValueCheck env_value_check() {
  const std::string expected = "expected a string of at most 4096 bytes without NUL";
  return string_then(expected, [expected](const std::string& text) -> std::optional<std::string> {
    if (text.size() > 4096 || text.find('\0') != std::string::npos) return expected;
    return std::nullopt;
  });
}

uint64_t read_size(const json& value) {
  return size_of(value).value_or(0);
}

std::chrono::milliseconds read_duration(const json& value) {
  return duration_of(value).value_or(std::chrono::milliseconds(0));
}

uint32_t read_millicores(const json& value) {
  return value.is_number() ? static_cast<uint32_t>(std::lround(value.get<double>() * 1000)) : 0;
}

bool is_file_reference(const std::string& reference) {
  return reference.find('/') != std::string::npos ||
         (reference.size() > 5 && reference.substr(reference.size() - 5) == ".json");
}

std::string format_duration(std::chrono::milliseconds duration) {
  int64_t ms = duration.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace policies
