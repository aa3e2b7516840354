#include "base/size.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "base/strings.h"

namespace base {
namespace {

// Splits "512M" into 512 and "m"; fails on an empty or non-numeric prefix.
bool split_number(std::string_view text, double& number, std::string& unit) {
  size_t digits = 0;
  while (digits < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.'))
    ++digits;
  if (digits == 0) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, number);
  if (ec != std::errc() || ptr != text.data() + digits) return false;
  unit = lower(text.substr(digits));
  return true;
}

}  // namespace

Expected<uint64_t> parse_size(std::string_view text) {
  const std::string expected = " (expected a size like 4096, 64K, 512M or 1G)";
  double number = 0;
  std::string unit;
  if (!split_number(text, number, unit))
    return Error{"invalid size \"" + std::string(text) + "\"" + expected};
  static const std::array<std::pair<const char*, int>, 5> kUnits = {
      {{"", 0}, {"k", 10}, {"m", 20}, {"g", 30}, {"t", 40}}};
  for (const auto& [prefix, shift] : kUnits) {
    const std::string p = prefix;
    const bool matches = unit == p || (!p.empty() && (unit == p + "b" || unit == p + "ib"));
    if (!matches && !(p.empty() && unit == "b")) continue;
    const double bytes = std::ldexp(number, shift);
    if (bytes != std::floor(bytes))
      return Error{"invalid size \"" + std::string(text) + "\": not a whole number of bytes"};
    if (bytes >= static_cast<double>(std::numeric_limits<uint64_t>::max()))
      return Error{"invalid size \"" + std::string(text) + "\": too large"};
    return static_cast<uint64_t>(bytes);
  }
  return Error{"invalid size \"" + std::string(text) + "\": unknown unit \"" + unit + "\"" +
               expected};
}

Expected<std::chrono::milliseconds> parse_duration(std::string_view text) {
  const std::string expected = " (expected a duration like 10, 2.5, 500ms, 10s, 2m or 1h)";
  double number = 0;
  std::string unit;
  if (!split_number(text, number, unit))
    return Error{"invalid duration \"" + std::string(text) + "\"" + expected};
  double ms = 0;
  if (unit.empty() || unit == "s")
    ms = number * 1000;
  else if (unit == "ms")
    ms = number;
  else if (unit == "m")
    ms = number * 60'000;
  else if (unit == "h")
    ms = number * 3'600'000;
  else
    return Error{"invalid duration \"" + std::string(text) + "\": unknown unit \"" + unit + "\"" +
                 expected};
  if (ms > 365.0 * 24 * 3'600'000)
    return Error{"invalid duration \"" + std::string(text) + "\": longer than a year"};
  return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(ms)));
}

std::string format_size(uint64_t bytes) {
  static const std::array<std::pair<char, int>, 4> kUnits = {
      {{'T', 40}, {'G', 30}, {'M', 20}, {'K', 10}}};
  for (const auto& [suffix, shift] : kUnits) {
    const uint64_t unit = uint64_t{1} << shift;
    if (bytes >= unit && bytes % unit == 0) return std::to_string(bytes / unit) + suffix;
  }
  return std::to_string(bytes);
}

}  // namespace base
