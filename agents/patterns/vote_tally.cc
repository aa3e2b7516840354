#include "agents/patterns/vote_tally.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string_view>

#include "base/decimal.h"
#include "base/json_strict.h"

namespace agents::patterns {

using nlohmann::json;

namespace {

// Non-integers compare to this many significant digits, so that 0.1 + 0.2 (written
// 0.30000000000000004) and 0.3 agree.
constexpr size_t kSignificantDigits = 12;
constexpr size_t kMaxNumbersShown = 3;
constexpr size_t kMaxShownChars = 40;

std::string cut(const std::string& text) {
  return text.size() <= kMaxShownChars ? text : text.substr(0, kMaxShownChars - 3) + "...";
}

std::string text_of(const json& answer) {
  return answer.is_string() ? answer.get<std::string>()
                            : answer.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool in(std::string_view chars, char c) {
  return chars.find(c) != std::string_view::npos;
}

// Moves [begin, end) inward past characters of `chars`, at both ends or only at the end. By
// index: erasing a megabyte of "*" one character at a time from the front took minutes.
void trim(const std::string& text, size_t& begin, size_t& end, std::string_view chars, bool both) {
  while (end > begin && in(chars, text[end - 1])) --end;
  while (both && begin < end && in(chars, text[begin])) ++begin;
}

std::string normalize_text(const std::string& raw) {
  std::string out;
  bool space = false;
  for (unsigned char c : raw) {
    if (std::isspace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(c));
  }
  size_t begin = 0;
  size_t end = out.size();
  trim(out, begin, end, "\"'`*_", true);
  trim(out, begin, end, ".!?;:,", false);
  trim(out, begin, end, "\"'`*_ ", true);
  return out.substr(begin, end - begin);
}

bool digit_at(const std::string& raw, size_t i) {
  return i < raw.size() && std::isdigit(static_cast<unsigned char>(raw[i]));
}

bool minus_before(const std::string& raw, size_t i) {
  constexpr std::string_view kMinusSign = "\xE2\x88\x92";  // U+2212, as typeset maths writes it
  return (i >= 1 && raw[i - 1] == '-') ||
         (i >= kMinusSign.size() &&
          std::string_view(raw).substr(i - kMinusSign.size(), kMinusSign.size()) == kMinusSign);
}

// A comma groups thousands when exactly three digits follow it: "1,000" but not "4,2" (a
// list, or a decimal comma), which is two numbers.
bool thousands_comma_at(const std::string& raw, size_t i) {
  return raw[i] == ',' && digit_at(raw, i + 1) && digit_at(raw, i + 2) && digit_at(raw, i + 3) &&
         !digit_at(raw, i + 4);
}

// The number starting at raw[i] (a digit, or a dot before one) in JSON's spelling, with `i`
// moved past it: "1,000" → "1000", ".5" → "0.5". A '+' before it, hex, inf and nan are not
// numbers in JSON: "+5" reads 5, "0x1A" reads 0 and 1. A dot or an exponent that no digit
// follows ends the number ("It is 3." is 3, "2e" is 2).
std::string number_at(const std::string& raw, size_t& i) {
  std::string text = minus_before(raw, i) ? "-" : "";
  if (raw[i] == '.') text += '0';
  const size_t start = i;
  while (digit_at(raw, i)) text += raw[i++];
  if (i > start && i - start <= 3)
    for (; i < raw.size() && thousands_comma_at(raw, i); i += 4) text.append(raw, i + 1, 3);
  if (i < raw.size() && raw[i] == '.' && digit_at(raw, i + 1))
    for (text += raw[i++]; digit_at(raw, i); ++i) text += raw[i];
  if (i < raw.size() && (raw[i] == 'e' || raw[i] == 'E')) {
    const size_t sign = i + 1 < raw.size() && (raw[i + 1] == '+' || raw[i + 1] == '-') ? 1 : 0;
    if (digit_at(raw, i + 1 + sign))
      for (text += raw.substr(i, 1 + sign), i += 1 + sign; digit_at(raw, i); ++i) text += raw[i];
  }
  return text;
}

// A non-integer to kSignificantDigits digits (half up), but never rounding off a digit of its
// integer part: 123456789012345.6 is 123456789012346, not 123456789012000.
base::Decimal rounded(base::Decimal value) {
  if (value.is_integer()) return value;
  const int64_t integer_digits = static_cast<int64_t>(value.digits.size()) + value.exponent;
  const size_t keep = std::max<size_t>(kSignificantDigits, std::max<int64_t>(integer_digits, 0));
  if (value.digits.size() <= keep) return value;
  const bool up = value.digits[keep] >= '5';
  value.exponent += static_cast<int64_t>(value.digits.size() - keep);
  value.digits.resize(keep);
  if (up) {
    size_t i = keep;
    while (i > 0 && value.digits[i - 1] == '9') value.digits[--i] = '0';
    if (i == 0)
      value.digits.insert(0, "1");
    else
      ++value.digits[i - 1];
  }
  while (value.digits.back() == '0') value.digits.pop_back(), ++value.exponent;
  return value;
}

base::Expected<std::string> normalize_number(const std::string& raw) {
  std::vector<std::string> distinct;  // enough of them to show, and to know there are more
  for (size_t i = 0; i < raw.size() && distinct.size() <= kMaxNumbersShown;) {
    if (!digit_at(raw, i) && !(raw[i] == '.' && digit_at(raw, i + 1))) {
      ++i;
      continue;
    }
    const std::string text = number_at(raw, i);
    auto value = base::parse_decimal(text);
    if (!value) return base::Error{"the number " + cut(text) + " is out of range"};
    std::string canonical = base::to_string(rounded(std::move(*value)));
    if (std::find(distinct.begin(), distinct.end(), canonical) == distinct.end())
      distinct.push_back(std::move(canonical));
  }
  if (distinct.empty()) return base::Error{"no number in the answer"};
  if (distinct.size() == 1) return std::move(distinct[0]);
  std::string listed;
  for (size_t k = 0; k < std::min(distinct.size(), kMaxNumbersShown); ++k)
    listed += (k ? ", " : "") + cut(distinct[k]);
  if (distinct.size() > kMaxNumbersShown) listed += ", ...";
  return base::Error{"the answer gives several different numbers (" + listed + ")"};
}

// Whole numbers as integers, so that 1 and 1.0 are one vote. Recursive: the value was read
// strictly, so it is at most base::kMaxJsonDepth deep.
void whole_numbers_as_integers(json& value) {
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (std::floor(number) == number && number >= -9223372036854775808.0 &&
        number < 9223372036854775808.0)
      value = static_cast<int64_t>(number);
    return;
  }
  if (value.is_structured())
    for (json& member : value) whole_numbers_as_integers(member);
}

base::Expected<std::string> normalize_json(const json& answer) {
  json value = answer;
  if (answer.is_string()) {
    auto parsed = base::parse_json_strict(answer.get_ref<const std::string&>());
    if (!parsed && parsed.error().code == base::kNotJson)
      return base::Error{"the answer is not JSON"};
    if (!parsed) return base::Error{"the answer is refused: " + parsed.error().message};
    value = std::move(*parsed);
  }
  whole_numbers_as_integers(value);
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

base::Expected<std::string> normalize_vote(const json& answer, VoteNormalization mode) {
  switch (mode) {
    case VoteNormalization::exact: {
      std::string text = text_of(answer);
      if (text.find_first_not_of(" \t\n\r\f\v") == std::string::npos)
        return base::Error{"the answer is blank"};
      return text;
    }
    case VoteNormalization::text: {
      std::string text = normalize_text(text_of(answer));
      if (text.empty()) return base::Error{"nothing is left of the answer once normalised as text"};
      return text;
    }
    case VoteNormalization::number:
      return normalize_number(text_of(answer));
    case VoteNormalization::json:
      return normalize_json(answer);
  }
  return base::Error{"unknown normalisation"};
}

VoteDecision decide_vote(const std::vector<std::string>& votes, size_t voters, double quorum) {
  VoteDecision decision;
  decision.valid_votes = votes.size();
  for (const std::string& vote : votes) {
    auto it = std::find_if(decision.counts.begin(), decision.counts.end(),
                           [&](const auto& entry) { return entry.first == vote; });
    if (it == decision.counts.end())
      decision.counts.emplace_back(vote, 1);
    else
      ++it->second;
  }
  std::stable_sort(decision.counts.begin(), decision.counts.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (decision.counts.empty()) return decision;
  const size_t top = decision.counts[0].second;
  for (const auto& [answer, count] : decision.counts)
    if (count == top) decision.tied.push_back(answer);
  decision.winner_votes = top;
  if (decision.tied.size() > 1) {
    decision.kind = VoteDecision::Kind::tie;
    return decision;
  }
  decision.tied.clear();
  const double needed = quorum * static_cast<double>(std::max(voters, votes.size()));
  if (static_cast<double>(top) < needed) {
    decision.kind = VoteDecision::Kind::no_quorum;
    return decision;
  }
  decision.kind = VoteDecision::Kind::winner;
  decision.winner = decision.counts[0].first;
  return decision;
}

}  // namespace agents::patterns
