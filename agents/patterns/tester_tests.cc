#include "agents/patterns/tester_tests.h"

#include <limits>
#include <set>

#include "agents/patterns/candidate_tests.h"

namespace agents::patterns {

using nlohmann::json;

json tester_tests_schema() {
  json test = {{"type", "object"},
               {"properties",
                {{"name", {{"type", "string"}}},
                 {"stdin", {{"type", "string"}}},
                 {"expected_stdout", {{"type", "string"}}}}},
               {"required", {"stdin", "expected_stdout"}}};
  return {{"type", "object"},
          {"properties",
           {{"tests", {{"type", "array"}, {"items", test}, {"minItems", 1}, {"maxItems", 32}}}}},
          {"required", {"tests"}}};
}

std::vector<runtime::AgentSpec> tester_specs(const std::string& prompt, size_t count,
                                             const std::string& language) {
  std::vector<runtime::AgentSpec> testers(count);
  for (runtime::AgentSpec& tester : testers) {
    tester.role = "tester";
    tester.default_system_prompt = "You write tests for programs: inputs and exact outputs.";
    tester.prompt = "Write tests for a " + language +
                    " program that solves this task. Each test gives the program's standard "
                    "input and its exact expected standard output.\n\n" +
                    prompt;
    tester.answer_schema = tester_tests_schema();
  }
  return testers;
}

TesterTests collect_tester_tests(const std::vector<runtime::AgentOutcome>& outcomes) {
  TesterTests out;
  std::set<std::string> seen;
  for (const runtime::AgentOutcome& outcome : outcomes) {
    for (const json& t : outcome.answer["tests"]) {
      const std::string stdin_data = t["stdin"].get<std::string>();
      if (!seen.insert(stdin_data).second) continue;
      TestCase test;
      test.name = t.value("name", outcome.id + " test " + std::to_string(seen.size()));
      test.stdin_data = stdin_data;
      test.expected_stdout = t["expected_stdout"].get<std::string>();
      const std::string expected = normalize_output(*test.expected_stdout);
      if (expected.empty())
        out.discarded.push_back({std::numeric_limits<size_t>::max(), test.name,
                                 "a program that prints nothing passes it", stdin_data});
      else if (expected == normalize_output(stdin_data))
        out.discarded.push_back({std::numeric_limits<size_t>::max(), test.name,
                                 "a program that echoes its input passes it", stdin_data});
      else
        out.tests.push_back(std::move(test));
    }
  }
  return out;
}

}  // namespace agents::patterns
