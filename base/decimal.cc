#include "base/decimal.h"

#include <cstdlib>

namespace base {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads a run of digits at `i`; false when there is none.
bool digits_at(std::string_view text, size_t& i, std::string* out) {
  const size_t start = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (out) out->append(text.substr(start, i - start));
  return i > start;
}

// The exponent's digits as a number, or nullopt when it passes kMaxDecimalExponent (before
// the fraction's digits are taken off, which can only bring it back by the text's length).
std::optional<int64_t> exponent_value(std::string_view digits) {
  int64_t value = 0;
  for (char c : digits) {
    value = value * 10 + (c - '0');
    if (value > 2 * kMaxDecimalExponent) return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<Decimal> parse_decimal(std::string_view text) {
  Decimal value;
  size_t i = 0;
  if (i < text.size() && text[i] == '-') value.negative = true, ++i;
  std::string digits;
  if (!digits_at(text, i, &digits)) return std::nullopt;
  int64_t exponent = 0;
  if (i < text.size() && text[i] == '.') {
    const size_t integer_digits = digits.size();
    ++i;
    if (!digits_at(text, i, &digits)) return std::nullopt;
    exponent -= static_cast<int64_t>(digits.size() - integer_digits);
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    const bool negative = i < text.size() && text[i] == '-';
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    std::string written;
    if (!digits_at(text, i, &written)) return std::nullopt;
    auto e = exponent_value(written);
    if (!e) return std::nullopt;
    exponent += negative ? -*e : *e;
  }
  if (i != text.size()) return std::nullopt;
  const size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return Decimal{};  // zero, whatever its sign or exponent
  const size_t last = digits.find_last_not_of('0');
  exponent += static_cast<int64_t>(digits.size() - 1 - last);
  value.digits = digits.substr(first, last + 1 - first);
  if (std::llabs(exponent) > kMaxDecimalExponent) return std::nullopt;
  value.exponent = exponent;
  return value;
}

// ECMAScript's Number::toString, on exact digits: with the value 0.d1d2…dk × 10^n, plain
// notation when 1e-7 < |value| < 1e21, scientific otherwise.
std::string to_string(const Decimal& value) {
  if (value.is_zero()) return "0";
  const std::string& d = value.digits;
  const auto k = static_cast<int64_t>(d.size());
  const int64_t n = k + value.exponent;
  std::string out = value.negative ? "-" : "";
  if (k <= n && n <= 21) {
    out += d + std::string(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += d.substr(0, static_cast<size_t>(n)) + "." + d.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(static_cast<size_t>(-n), '0') + d;
  } else {
    out += d.substr(0, 1);
    if (k > 1) out += "." + d.substr(1);
    out += (n - 1 >= 0 ? "e+" : "e-") + std::to_string(std::llabs(n - 1));
  }
  return out;
}

}  // namespace base
