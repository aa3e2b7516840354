// Exact decimal values of numbers in JSON's spelling ("-12.5e3"), so that numbers compare by
// value without a trip through a double: "4.2e1", "42" and "42.000" are one value, while
// 12345678901234567 and 12345678901234568 (which one double holds both as) stay two.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace base {

struct Decimal {
  bool negative = false;  // never for zero
  std::string digits;     // significant digits, no leading or trailing zeros; empty for zero
  int64_t exponent = 0;   // the value is digits × 10^exponent

  bool is_zero() const { return digits.empty(); }
  bool is_integer() const { return exponent >= 0; }
  bool operator==(const Decimal&) const = default;
};

// An exponent beyond this is refused rather than carried (1e99999999999 is not an answer).
inline constexpr int64_t kMaxDecimalExponent = 1'000'000'000;

// `text` when it is one number in JSON's grammar (leading zeros allowed: "007" is 7) whose
// exponent is within ±kMaxDecimalExponent; nullopt otherwise.
std::optional<Decimal> parse_decimal(std::string_view text);

// The shortest spelling, as JavaScript spells numbers: "42", "0.0015", "1e+21", "1.5e-7",
// but with every digit kept ("12345678901234567", "1.2345678901234567890123e+29").
std::string to_string(const Decimal& value);

}  // namespace base
