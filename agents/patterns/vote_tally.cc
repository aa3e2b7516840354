#include "agents/patterns/vote_tally.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

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

std::optional<std::string> normalize_number(const std::string& raw) {
  std::string digits;
  size_t i = 0;
  while (i < raw.size() && !std::isdigit(static_cast<unsigned char>(raw[i]))) ++i;
  if (i == raw.size()) return std::nullopt;
  if (i > 0 && raw[i - 1] == '-') digits += '-';
  for (; i < raw.size(); ++i) {
    const char c = raw[i];
    const bool digit = std::isdigit(static_cast<unsigned char>(c));
    const bool next_digit =
        i + 1 < raw.size() && std::isdigit(static_cast<unsigned char>(raw[i + 1]));
    if (digit)
      digits += c;
    else if (c == ',' && next_digit)
      continue;  // thousands separator
    else if (c == '.' && next_digit && digits.find('.') == std::string::npos)
      digits += c;
    else
      break;
  }
  const double value = std::strtod(digits.c_str(), nullptr);
  if (!std::isfinite(value)) return std::nullopt;
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
