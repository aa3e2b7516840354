#include "agents/patterns/vote_tally.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace agents::patterns {

using nlohmann::json;

namespace {

std::string text_of(const json& answer) {
  return answer.is_string() ? answer.get<std::string>()
                            : answer.dump(-1, ' ', false, json::error_handler_t::replace);
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
  auto strip = [&out](std::string_view chars, bool both) {
    bool changed = true;
    while (changed && !out.empty()) {
      changed = false;
      if (chars.find(out.back()) != std::string_view::npos) out.pop_back(), changed = true;
      if (both && !out.empty() && chars.find(out.front()) != std::string_view::npos)
        out.erase(0, 1), changed = true;
    }
  };
  strip("\"'`*_", true);
  strip(".!?;:,", false);
  strip("\"'`*_ ", true);
  return out;
}

bool digit_at(const std::string& raw, size_t i) {
  return i < raw.size() && std::isdigit(static_cast<unsigned char>(raw[i]));
}

// The first number in `raw` in JSON's spelling (-12.5e3), read from its first digit; also
// ".5", and "1,000" (a comma between digits is a thousands separator). A '+' before it, hex,
// inf and nan are not numbers in JSON: "+5" reads 5, "0x1A" reads 0, "inf" has none. A dot or
// an exponent that no digit follows ends the number ("It is 3." is 3, "2e" is 2).
std::optional<std::string> number_text(const std::string& raw) {
  size_t i = 0;
  while (i < raw.size() && !digit_at(raw, i) && !(raw[i] == '.' && digit_at(raw, i + 1))) ++i;
  if (i == raw.size()) return std::nullopt;
  std::string text = i > 0 && raw[i - 1] == '-' ? "-" : "";
  if (raw[i] == '.') text += '0';
  for (; digit_at(raw, i) || (raw[i] == ',' && digit_at(raw, i + 1)); ++i)
    if (raw[i] != ',') text += raw[i];
  if (i < raw.size() && raw[i] == '.' && digit_at(raw, i + 1))
    for (text += raw[i++]; digit_at(raw, i); ++i) text += raw[i];
  if (i < raw.size() && (raw[i] == 'e' || raw[i] == 'E')) {
    const size_t sign = i + 1 < raw.size() && (raw[i + 1] == '+' || raw[i + 1] == '-') ? 1 : 0;
    if (digit_at(raw, i + 1 + sign))
      for (text += raw.substr(i, 1 + sign), i += 1 + sign; digit_at(raw, i); ++i) text += raw[i];
  }
  return text;
}

// Canonical text of the first number: integers without a fraction, others to 12 significant
// digits (so 0.1 + 0.2 and 0.3 agree); not finite (1e999): none.
std::optional<std::string> normalize_number(const std::string& raw) {
  const auto text = number_text(raw);
  if (!text) return std::nullopt;
  double value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || !std::isfinite(value))
    return std::nullopt;
  char buffer[64];
  if (std::floor(value) == value && std::fabs(value) < 1e15)
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
  else
    std::snprintf(buffer, sizeof buffer, "%.12g", value);
  return std::string(buffer == std::string("-0") ? "0" : buffer);
}

}  // namespace

std::optional<std::string> normalize_vote(const json& answer, VoteNormalization mode) {
  switch (mode) {
    case VoteNormalization::exact:
      return text_of(answer);
    case VoteNormalization::text: {
      std::string text = normalize_text(text_of(answer));
      if (text.empty()) return std::nullopt;
      return text;
    }
    case VoteNormalization::number:
      return normalize_number(text_of(answer));
    case VoteNormalization::json: {
      json value = answer;
      if (answer.is_string()) value = json::parse(answer.get<std::string>(), nullptr, false);
      if (value.is_discarded()) return std::nullopt;
      return value.dump(-1, ' ', false, json::error_handler_t::replace);
    }
  }
  return std::nullopt;
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
