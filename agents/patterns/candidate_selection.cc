#include "agents/patterns/candidate_selection.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

namespace agents::patterns {

namespace {

bool is_number(const std::string& token) {
  size_t i = token[0] == '-' || token[0] == '+' ? 1 : 0;
  bool digits = false, dot = false;
  for (; i < token.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(token[i])))
      digits = true;
    else if (token[i] == '.' && !dot)
      dot = true;
    else
      return false;
  }
  return digits;
}

// An integer that fits a long long (no sign but '-', at most 18 digits).
bool is_integer(const std::string& token) {
  const size_t digits = token[0] == '-' ? token.size() - 1 : token.size();
  return digits > 0 && digits <= 18 &&
         token.find_first_not_of("0123456789", token[0] == '-') == std::string::npos;
}

using Lines = std::vector<std::vector<std::string>>;

Lines tokens_of(const std::string& input) {
  Lines lines;
  std::istringstream in(input);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    lines.emplace_back();
    for (std::string word; words >> word;) lines.back().push_back(word);
  }
  return lines;
}

// Line lengths and every non-number word: inputs of one shape differ only in their numbers.
std::string shape_of(const Lines& lines) {
  std::string shape;
  for (const auto& line : lines) {
    shape += std::to_string(line.size()) + ':';
    for (const std::string& word : line) shape += (is_number(word) ? std::string("#") : word) + ' ';
    shape += '\n';
  }
  return shape;
}

std::string join(const Lines& lines) {
  std::string text;
  for (const auto& line : lines) {
    for (size_t i = 0; i < line.size(); ++i) text += (i ? " " : "") + line[i];
    text += '\n';
  }
  return text;
}

}  // namespace

std::vector<std::string> derive_stdin_probes(const std::vector<std::string>& inputs, size_t max) {
  std::set<std::string> sorted(inputs.begin(), inputs.end());
  std::map<std::string, std::vector<Lines>> by_shape;
  for (const std::string& input : sorted) {
    Lines lines = tokens_of(input);
    by_shape[shape_of(lines)].push_back(std::move(lines));
  }
  std::set<std::string> known;
  for (const std::string& input : sorted) known.insert(join(tokens_of(input)));
  std::vector<std::string> probes;
  auto add = [&](const Lines& probe) {
    std::string text = join(probe);
    if (probes.size() < max && known.insert(text).second) probes.push_back(std::move(text));
  };
  for (const auto& [shape, group] : by_shape) {
    std::map<std::pair<size_t, size_t>, std::set<long long>> integers;  // at (line, word)
    for (const Lines& a : group)
      for (size_t line = 0; line < a.size(); ++line)
        for (size_t word = 0; word < a[line].size(); ++word) {
          if (!is_number(a[line][word])) continue;
          if (is_integer(a[line][word])) integers[{line, word}].insert(std::stoll(a[line][word]));
          for (const Lines& b : group) {  // the number at this place in another input
            if (a[line][word] == b[line][word]) continue;
            Lines probe = a;
            probe[line][word] = b[line][word];
            add(probe);
          }
        }
    // Integers between two that the inputs had at the same place, in the first input's shape.
    for (const auto& [place, values] : integers)
      for (auto it = values.begin(); std::next(it) != values.end(); ++it)
        if (*std::next(it) - *it >= 2) {
          Lines probe = group[0];
          probe[place.first][place.second] = std::to_string(*it + (*std::next(it) - *it) / 2);
          add(probe);
        }
  }
  return probes;
}

size_t representative(const std::vector<size_t>& group, const std::vector<std::string>& codes) {
  return *std::min_element(group.begin(), group.end(), [&](size_t a, size_t b) {
    if (codes[a].size() != codes[b].size()) return codes[a].size() < codes[b].size();
    return codes[a] < codes[b];
  });
}

Grouping group_by_behaviour(const std::vector<std::string>& signatures,
                            const std::vector<std::string>& codes) {
  std::map<std::string, std::vector<size_t>> by_signature;
  for (size_t i = 0; i < signatures.size(); ++i) by_signature[signatures[i]].push_back(i);
  Grouping grouping;
  for (auto& [signature, members] : by_signature) grouping.groups.push_back(std::move(members));
  std::sort(grouping.groups.begin(), grouping.groups.end(),
            [&](const std::vector<size_t>& a, const std::vector<size_t>& b) {
              if (a.size() != b.size()) return a.size() > b.size();
              const std::string& code_a = codes[representative(a, codes)];
              const std::string& code_b = codes[representative(b, codes)];
              if (code_a.size() != code_b.size()) return code_a.size() < code_b.size();
              return code_a < code_b;
            });
  while (grouping.tied < grouping.groups.size() &&
         grouping.groups[grouping.tied].size() == grouping.groups[0].size())
    ++grouping.tied;
  return grouping;
}

}  // namespace agents::patterns
