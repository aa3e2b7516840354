// best_of_n's tester agents: they write program tests (stdin, expected stdout) when the task
// gives none. A test proves nothing if a trivial program passes it (one that prints nothing,
// or echoes its input): such tests are discarded and reported as soon as they are written.
// Those that every candidate fails are discarded after the candidates are tested (best_of_n.cc).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agents/runtime/agent.h"
#include "agents/task_spec.h"

namespace agents::patterns {

struct DiscardedTest {
  size_t test = 0;  // index into the tests in use; none for a test discarded when written
  std::string name;
  std::string why;
  std::string stdin_data;  // still an input to tell candidates apart by (best_of_n's probes)
};

struct TesterTests {
  std::vector<TestCase> tests;
  std::vector<DiscardedTest> discarded;
};

nlohmann::json tester_tests_schema();

std::vector<runtime::AgentSpec> tester_specs(const std::string& prompt, size_t count,
                                             const std::string& language);

// The testers' tests, each stdin once, less those a trivial program passes.
TesterTests collect_tester_tests(const std::vector<runtime::AgentOutcome>& outcomes);

}  // namespace agents::patterns
