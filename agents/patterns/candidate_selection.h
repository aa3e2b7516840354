// Choosing among best_of_n's candidates by what they do, never by the order their answers
// came in. Candidates that pass the most tests are run on more inputs (probes made from the
// tests' own inputs so that they stay in the tests' domain: stdin inputs here, calls of the
// candidate's functions in agents/harness/probes.py) and grouped by identical behaviour; groups are
// ordered by size, then by their members' code (content, not arrival), so every order of the same
// answers gives the same groups in the same order.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace agents::patterns {

// New stdin inputs: inputs of the same shape (lines, tokens per line, the same words) with a
// number of one replaced by the number at that place in another. At most `max`, none of
// `inputs`, the same for any order of `inputs`.
std::vector<std::string> derive_stdin_probes(const std::vector<std::string>& inputs, size_t max);

struct Grouping {
  std::vector<std::vector<size_t>> groups;  // indexes into the behaviours; see above for order
  size_t tied = 0;                          // how many groups share the largest size
};

// `signatures[i]` is candidate i's behaviour, `codes[i]` its program.
Grouping group_by_behaviour(const std::vector<std::string>& signatures,
                            const std::vector<std::string>& codes);

// The member whose program is shortest, then first in byte order: equal behaviour, one answer.
size_t representative(const std::vector<size_t>& group, const std::vector<std::string>& codes);

}  // namespace agents::patterns
