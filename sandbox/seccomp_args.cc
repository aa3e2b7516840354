// Rewrites a profile entry's argument comparisons (all of which must hold, several possibly on
// the same argument) into alternatives of at most one comparison per argument, the only form
// libseccomp 2.5 accepts. Ranges become aligned blocks, each one SCMP_CMP_MASKED_EQ; this is
// what lets the built-in profile say "ioctl, unless the request is TIOCSTI or TIOCLINUX, and
// only if its upper 32 bits are clear" without a single bypassable GT/NE comparison.
#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/seccomp_profile.h"

namespace sandbox::seccomp::detail {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
constexpr unsigned kArgCount = 6;
// Beyond this a profile entry would compile into a filter too long to be useful (the kernel
// accepts 4096 instructions in all).
constexpr std::size_t kMaxAlternatives = 256;

struct Interval {
  std::uint64_t low;
  std::uint64_t high;  // inclusive
};
using IntervalSet = std::vector<Interval>;  // disjoint, ascending

// The values for which an ordering comparison holds (never called for kMaskedEq).
IntervalSet interval_set_of(const ArgCondition& condition) {
  const std::uint64_t value = condition.value;
  switch (condition.op) {
    case CompareOp::kNe: {
      IntervalSet set;
      if (value > 0) set.push_back({0, value - 1});
      if (value < kMax) set.push_back({value + 1, kMax});
      return set;
    }
    case CompareOp::kLt:
      return value == 0 ? IntervalSet{} : IntervalSet{{0, value - 1}};
    case CompareOp::kLe:
      return {{0, value}};
    case CompareOp::kEq:
      return {{value, value}};
    case CompareOp::kGe:
      return {{value, kMax}};
    case CompareOp::kGt:
      return value == kMax ? IntervalSet{} : IntervalSet{{value + 1, kMax}};
    case CompareOp::kMaskedEq:
      break;
  }
  return {};
}

IntervalSet intersect(const IntervalSet& a, const IntervalSet& b) {
  IntervalSet common;
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    const std::uint64_t low = std::max(a[i].low, b[j].low);
    const std::uint64_t high = std::min(a[i].high, b[j].high);
    if (low <= high) common.push_back({low, high});
    if (a[i].high < b[j].high) {
      ++i;
    } else {
      ++j;
    }
  }
  return common;
}

// Covers an interval with power-of-two blocks aligned on their size, largest first from the
// low end: each block is (value & ~(size - 1)) == start.
void append_blocks(unsigned index, Interval interval, std::vector<ArgCondition>& out) {
  std::uint64_t start = interval.low;
  for (;;) {
    const std::uint64_t room = interval.high - start;
    std::uint64_t size_minus_one = start == 0 ? kMax : (start & (~start + 1)) - 1;
    while (size_minus_one > room) size_minus_one >>= 1;
    if (size_minus_one == 0) {
      out.push_back({index, CompareOp::kEq, start, 0});
    } else {
      out.push_back({index, CompareOp::kMaskedEq, ~size_minus_one, start});
    }
    if (size_minus_one == room) return;
    start += size_minus_one + 1;
  }
}

// One comparison per interval where one suffices, aligned blocks otherwise.
std::vector<ArgCondition> comparisons_for(unsigned index, const IntervalSet& set) {
  std::vector<ArgCondition> out;
  for (const Interval& interval : set) {
    if (interval.low == interval.high) {
      out.push_back({index, CompareOp::kEq, interval.low, 0});
    } else if (interval.low == 0) {
      out.push_back({index, CompareOp::kLe, interval.high, 0});
    } else if (interval.high == kMax) {
      out.push_back({index, CompareOp::kGe, interval.low, 0});
    } else {
      append_blocks(index, interval, out);
    }
  }
  return out;
}

// Two masked comparisons hold together iff they agree where both masks look; then they are one
// masked comparison. An empty result means they never hold.
std::optional<ArgCondition> merge_masked(const ArgCondition& a, const ArgCondition& b) {
  const bool a_satisfiable = (a.value_two & ~a.value) == 0;
  const bool b_satisfiable = (b.value_two & ~b.value) == 0;
  const bool agree = ((a.value_two ^ b.value_two) & a.value & b.value) == 0;
  if (!a_satisfiable || !b_satisfiable || !agree) return std::nullopt;
  return ArgCondition{a.index, CompareOp::kMaskedEq, a.value | b.value, a.value_two | b.value_two};
}

// The alternatives for one argument: std::nullopt inside means "no comparison needed" (the
// conditions hold for every value); an empty list means they never hold.
using Choices = std::vector<std::optional<ArgCondition>>;

Expected<Choices> choices_for_argument(unsigned index, const std::vector<ArgCondition>& on_arg) {
  if (on_arg.size() == 1) return Choices{on_arg.front()};
  const bool any_masked = std::any_of(on_arg.begin(), on_arg.end(), [](const ArgCondition& c) {
    return c.op == CompareOp::kMaskedEq;
  });
  const bool all_masked = std::all_of(on_arg.begin(), on_arg.end(), [](const ArgCondition& c) {
    return c.op == CompareOp::kMaskedEq;
  });
  if (any_masked && !all_masked) {
    return Error{"argument " + std::to_string(index) +
                 " combines SCMP_CMP_MASKED_EQ with another comparison; expected only "
                 "SCMP_CMP_MASKED_EQ or only ordering comparisons on one argument"};
  }
  if (all_masked) {
    std::optional<ArgCondition> merged = on_arg.front();
    for (std::size_t i = 1; i < on_arg.size() && merged; ++i) {
      merged = merge_masked(*merged, on_arg[i]);
    }
    return merged ? Choices{merged} : Choices{};
  }
  IntervalSet set{{0, kMax}};
  for (const ArgCondition& condition : on_arg) set = intersect(set, interval_set_of(condition));
  if (set.size() == 1 && set.front().low == 0 && set.front().high == kMax) {
    return Choices{std::nullopt};
  }
  Choices choices;
  for (const ArgCondition& comparison : comparisons_for(index, set)) choices.push_back(comparison);
  return choices;
}

}  // namespace

Expected<std::vector<std::vector<ArgCondition>>> expand_conditions(
    const std::vector<ArgCondition>& conditions) {
  std::array<std::vector<ArgCondition>, kArgCount> by_argument;
  for (const ArgCondition& condition : conditions) {
    if (condition.index >= kArgCount) {
      return Error{"argument index " + std::to_string(condition.index) +
                   " is out of range; expected 0 to 5"};
    }
    by_argument[condition.index].push_back(condition);
  }
  std::vector<std::vector<ArgCondition>> alternatives{{}};
  for (unsigned index = 0; index < kArgCount; ++index) {
    if (by_argument[index].empty()) continue;
    Expected<Choices> choices = choices_for_argument(index, by_argument[index]);
    if (!choices) return choices.error();
    std::vector<std::vector<ArgCondition>> widened;
    for (const std::vector<ArgCondition>& alternative : alternatives) {
      for (const std::optional<ArgCondition>& choice : *choices) {
        widened.push_back(alternative);
        if (choice) widened.back().push_back(*choice);
      }
    }
    if (widened.size() > kMaxAlternatives) {
      return Error{"the argument comparisons expand to more than " +
                   std::to_string(kMaxAlternatives) + " filter rules; expected simpler ranges"};
    }
    alternatives = std::move(widened);
  }
  return alternatives;
}

bool condition_holds(const ArgCondition& condition, std::uint64_t value) {
  switch (condition.op) {
    case CompareOp::kNe:
      return value != condition.value;
    case CompareOp::kLt:
      return value < condition.value;
    case CompareOp::kLe:
      return value <= condition.value;
    case CompareOp::kEq:
      return value == condition.value;
    case CompareOp::kGe:
      return value >= condition.value;
    case CompareOp::kGt:
      return value > condition.value;
    case CompareOp::kMaskedEq:
      return (value & condition.value) == condition.value_two;
  }
  return false;
}

}  // namespace sandbox::seccomp::detail
