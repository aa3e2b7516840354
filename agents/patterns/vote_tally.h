// Counting votes: answers are normalised (so "Paris." and "paris" are one vote) and the
// plurality wins if it holds at least the quorum's fraction of all voters (an agent whose
// answer was dropped, or cast no vote, counts as a voter who did not agree); equal top counts
// are a tie. An answer casts a vote only where it says one thing; docs/validation.md has the
// rules with examples (each one tested):
//   exact:  the answer's text as it is; blank: no vote
//   text:   lower case, whitespace collapsed, surrounding quotes, markdown emphasis and
//           trailing punctuation removed; nothing left: no vote
//   number: the number in the text, read as JSON spells numbers (4.2e1) plus ".5", "1,000"
//           and a U+2212 minus, written canonically ("1,000.50" → "1000.5"): integers exactly,
//           others to 12 significant digits; no number, or several different ones ("41, or
//           maybe 42"): no vote
//   json:   the answer read strictly (base/json_strict.h: no duplicate keys, bounded depth)
//           and written with sorted keys, whole numbers as integers (1.0 → 1); else no vote
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agents/task_spec.h"
#include "base/expected.h"

namespace agents::patterns {

// The vote `answer` (an agent's answer: a string, or JSON it gave under a schema, which was
// read strictly) casts under `mode`, or why it casts none: "the answer gives several
// different numbers (41, 42, 43)".
base::Expected<std::string> normalize_vote(const nlohmann::json& answer, VoteNormalization mode);

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
