// Counting votes: answers are normalised (so "Paris." and "paris" are one vote) and the
// plurality wins if it holds at least the quorum's fraction of all voters (an agent whose
// answer was dropped counts as a voter who did not agree); equal top counts are a tie.
//   exact:  the answer's text as it is
//   text:   lower case, whitespace collapsed, surrounding quotes, markdown emphasis and
//           trailing punctuation removed
//   number: the first number in the text, spelled as in JSON (4.2e1), canonical
//           ("1,000.50" → "1000.5", "4.2e1" → "42"); none: invalid
//   json:   the answer parsed as JSON and re-serialised with sorted keys; not JSON: invalid
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agents/task_spec.h"

namespace agents::patterns {

std::optional<std::string> normalize_vote(const nlohmann::json& answer, VoteNormalization mode);

struct VoteDecision {
  enum class Kind { winner, tie, no_quorum, no_votes } kind = Kind::no_votes;
  std::string winner;             // the normalised answer that won
  std::vector<std::string> tied;  // tie: the answers sharing the top count
  size_t winner_votes = 0;
  size_t valid_votes = 0;
  std::vector<std::pair<std::string, size_t>> counts;  // most votes first, then first cast
};

VoteDecision decide_vote(const std::vector<std::string>& normalized_votes, size_t voters,
                         double quorum);

}  // namespace agents::patterns
