// Stdin probes derived from the tests' own inputs (call probes: agents/harness/probes.py, tested
// in tests/agents/harness/test_harness.py) and grouping by behaviour: the same answers in any
// order give the same probes, the same groups and the same representative.
#include "agents/patterns/candidate_selection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace agents::patterns {
namespace {

TEST(CandidateSelection, StdinProbesOnlyRecombineNumbersOfInputsOfOneShape) {
  const auto probes = derive_stdin_probes({"1 2\n", "10 -4", "3\n1 2 3\n", "word 7"}, 32);
  EXPECT_NE(std::find(probes.begin(), probes.end(), "10 2\n"), probes.end());
  EXPECT_NE(std::find(probes.begin(), probes.end(), "1 -4\n"), probes.end());
  EXPECT_NE(std::find(probes.begin(), probes.end(), "5 2\n"), probes.end());  // between 1 and 10
  for (const std::string& p : probes) {
    EXPECT_EQ(p.find("word"), std::string::npos) << "an input alone of its shape: " << p;
    EXPECT_EQ(p.find('\n'), p.size() - 1) << "the two-line input has no partner: " << p;
  }
}

TEST(CandidateSelection, ProbesAndGroupsDoNotDependOnOrder) {
  std::vector<std::string> inputs = {"1 2", "3 4", "10 20", "5\n"};
  std::vector<std::string> signatures = {"a", "b", "a", "c", "b", "a"};
  std::vector<std::string> codes = {"x = 1", "y", "xx = 22", "zzz", "yy", "x = 2"};
  const auto stdin_probes = derive_stdin_probes(inputs, 8);
  const Grouping grouping = group_by_behaviour(signatures, codes);
  ASSERT_EQ(grouping.groups.size(), 3u);
  EXPECT_EQ(grouping.tied, 1u);
  EXPECT_EQ(codes[representative(grouping.groups[0], codes)], "x = 1");
  std::mt19937 random(7);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(inputs.begin(), inputs.end(), random);
    std::vector<size_t> order = {0, 1, 2, 3, 4, 5};
    std::shuffle(order.begin(), order.end(), random);
    std::vector<std::string> s, c;
    for (size_t i : order) {
      s.push_back(signatures[i]);
      c.push_back(codes[i]);
    }
    EXPECT_EQ(derive_stdin_probes(inputs, 8), stdin_probes);
    const Grouping shuffled = group_by_behaviour(s, c);
    ASSERT_EQ(shuffled.groups.size(), 3u);
    for (size_t g = 0; g < 3; ++g)
      EXPECT_EQ(c[representative(shuffled.groups[g], c)],
                codes[representative(grouping.groups[g], codes)]);
  }
}

TEST(CandidateSelection, EqualGroupsTie) {
  const Grouping grouping =
      group_by_behaviour({"a", "b", "a", "b", "c"}, {"1", "2", "3", "4", "5"});
  EXPECT_EQ(grouping.tied, 2u);
}

}  // namespace
}  // namespace agents::patterns
