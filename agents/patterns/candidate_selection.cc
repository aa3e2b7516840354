#include "agents/patterns/candidate_selection.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

namespace agents::patterns {

using nlohmann::json;

namespace {

// Calls that can be recombined: one function, the same number of arguments, the same keywords.
std::string call_shape(const json& call) {
  std::string shape = call.value("function", "") + "/" + std::to_string(call["args"].size());
  for (const auto& [key, value] : call["kwargs"].items()) shape += "/" + key;
  return shape;
}

bool well_formed_call(const json& call) {
  return call.is_object() && call.contains("function") && call["function"].is_string() &&
         call.contains("args") && call["args"].is_array() && call.contains("kwargs") &&
         call["kwargs"].is_object();
}

std::string escape_pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
}

// Every scalar (or empty container) of `value` by its JSON pointer; unlike json::flatten, an
// empty list stays an empty list.
void collect_leaves(const json& value, const std::string& pointer,
                    std::map<std::string, json>& out) {
  if (value.is_array() && !value.empty()) {
    for (size_t i = 0; i < value.size(); ++i)
      collect_leaves(value[i], pointer + "/" + std::to_string(i), out);
  } else if (value.is_object() && !value.empty()) {
    for (const auto& [key, child] : value.items())
      collect_leaves(child, pointer + "/" + escape_pointer_token(key), out);
  } else {
    out[pointer] = value;
  }
}

json with_leaf(const json& call, const std::string& pointer, const json& leaf) {
  json probe = call;
  probe[json::json_pointer(pointer)] = leaf;
  return probe;
}

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

json derive_call_probes(const std::vector<json>& calls, size_t max) {
  std::map<std::string, std::vector<json>> by_shape;  // sorted: any order of calls, same probes
  std::set<std::string> known;
  for (const json& call : calls) {
    if (!well_formed_call(call) || !known.insert(call.dump()).second) continue;
    by_shape[call_shape(call)].push_back(call);
  }
  json probes = json::array();
  auto add = [&](json probe) {
    if (probes.size() < max && known.insert(probe.dump()).second)
      probes.push_back(std::move(probe));
  };
  for (auto& [shape, group] : by_shape) {
    std::sort(group.begin(), group.end(),
              [](const json& a, const json& b) { return a.dump() < b.dump(); });
    std::vector<std::map<std::string, json>> leaves(group.size());
    for (size_t i = 0; i < group.size(); ++i) {
      collect_leaves(group[i]["args"], "/args", leaves[i]);
      collect_leaves(group[i]["kwargs"], "/kwargs", leaves[i]);
    }
    std::map<std::string, std::set<int64_t>> integers;  // values seen at each integer leaf
    for (size_t i = 0; i < group.size(); ++i)
      for (const auto& [pointer, value] : leaves[i]) {
        if (value.is_number_integer()) integers[pointer].insert(value.get<int64_t>());
        // One argument (or one element of one) taken from another call of the same shape.
        for (size_t j = 0; j < group.size(); ++j) {
          auto other = leaves[j].find(pointer);
          if (other != leaves[j].end() && other->second.type() == value.type() &&
              other->second != value)
            add(with_leaf(group[i], pointer, other->second));
        }
      }
    // Integers between two that the tests used at the same place, in the first call's shape.
    for (const auto& [pointer, values] : integers)
      for (auto it = values.begin(); std::next(it) != values.end(); ++it) {
        const int64_t low = *it, high = *std::next(it);
        if (high - low >= 2 && leaves[0].count(pointer) && leaves[0][pointer].is_number_integer())
          add(with_leaf(group[0], pointer, low + (high - low) / 2));
      }
  }
  return probes;
}

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
