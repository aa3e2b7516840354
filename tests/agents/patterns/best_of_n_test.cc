// best_of_n end to end with real sandboxes: candidates are tested in parallel against stdin
// tests and script tests; selection by tests passed, then output agreement, then the judge;
// first_pass_wins cancels the rest; tester agents write the tests when the task has none.
#include <gtest/gtest.h>

#include <set>

#include "agents/patterns/candidate_tests.h"
#include "tests/agents/runtime_fixture.h"

namespace agents::testing {
namespace {

using nlohmann::json;

const char* kAdder = "a, b = map(int, input().split())\nprint(a + b)\n";
const char* kAdderToo =
    "import sys\nx = [int(v) for v in sys.stdin.read().split()]\nprint(sum(x))\n";
const char* kAdderThree = "import sys\nprint(sum(map(int, sys.stdin.read().split())))\n";
const char* kWrong = "print(0)\n";

json answer(const std::string& code, int latency_ms = 0, const std::string& language = "python") {
  json step = {{"text", "```" + language + "\n" + code + "```"}};
  if (latency_ms) step["latency_ms"] = latency_ms;
  return step;
}

class BestOfNTest : public TaskTest {
 protected:
  json spec(json options, const json& tests = json()) const {
    json s = {{"pattern", "best_of_n"},
              {"prompt", "Read two integers and print their sum."},
              {"options", std::move(options)},
              {"roles", {{"coder", role("cheap", "coder")}}}};
    s["tests"] = tests.is_null() ? json::array({{{"stdin", "1 2"}, {"expected_stdout", "3"}},
                                                {{"stdin", "10 -4\n"}, {"expected_stdout", "6\n"}}})
                                 : tests;
    return s;
  }
  std::vector<std::string> finished_with(const std::string& status) const {
    std::vector<std::string> agents;
    for (const Event& e : events_.events)
      if (e.type == "agent.finished" && e.data["status"] == status) agents.push_back(e.agent_id);
    return agents;
  }
};

TEST_F(BestOfNTest, TheCandidatePassingMostTestsWins) {
  load({{"roles", {{"coder", {{"steps", {answer(kWrong), answer(kAdder), answer(kWrong)}}}}}}});
  TaskResult result = run(spec({{"n", 3}}));
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.answer, kAdder);
  EXPECT_EQ(result.details["selected_by"], "tests_then_behaviour");
  auto tested = events("candidate.tested");
  ASSERT_EQ(tested.size(), 3u);
  size_t passing = 0;
  for (const Event& e : tested) passing += e.data["passed"] == 2;
  EXPECT_EQ(passing, 1u);
  EXPECT_EQ(events("sandbox.result").size(), 0u);  // tests are not tool calls
}

TEST_F(BestOfNTest, ScriptTestsRunTheCandidateAsAProgramFromTheirOwnSandbox) {
  const json tests = json::array({{{"name", "program"},
                                   {"language", "python"},
                                   {"code",
                                    "import candidate\n"
                                    "out = candidate.run(stdin='2 3')\n"
                                    "assert out['stdout'].strip() == '5', out\n"
                                    "assert out['exit_status'] == 0\n"}}});
  load({{"roles", {{"coder", {{"steps", {answer(kWrong), answer(kAdderToo)}}}}}}});
  TaskResult result = run(spec({{"n", 2}}, tests));
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error << result.details.dump();
  EXPECT_EQ(result.answer, kAdderToo);
}

TEST_F(BestOfNTest, ScriptTestsCallTheCandidatesFunctionsAndEachTestFunctionCounts) {
  const char* right = "def add(a, b):\n    return a + b\n";
  const char* half = "def add(a, b):\n    return a + b if a > 0 else 0\n";
  const json tests = json::array({{{"name", "functions"},
                                   {"language", "python"},
                                   {"code",
                                    "from solution import add\n"
                                    "def test_positive():\n    assert add(2, 3) == 5\n"
                                    "def test_negative():\n    assert add(-2, 3) == 1\n"}}});
  load({{"roles", {{"coder", {{"steps", {answer(half), answer(right)}}}}}}});
  TaskResult result = run(spec({{"n", 2}}, tests));
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error << result.details.dump();
  EXPECT_EQ(result.answer, right);
  EXPECT_EQ(result.details["tests"], 2);
  EXPECT_EQ(result.details["coverage"]["passed_all"], 1);
  for (const json& c : result.details["candidates"]) {
    EXPECT_EQ(c["passed"], c["passed_all"] == true ? 2 : 1) << c.dump();
    if (c["passed"] == 1) {
      EXPECT_EQ(c["failed"][0]["test"], "functions: test_negative") << c.dump();
    }
  }
}

TEST_F(BestOfNTest, AgreementAmongPassersThenTheJudgeBreakTies) {
  // Test 1 wants 3, test 2 wants 6. Two candidates pass only test 1 and behave alike on every
  // input; one passes only test 2. The agreeing pair wins without a judge.
  const char* only_first = "a, b = map(int, input().split())\nprint(3 if a == 1 else 'x')\n";
  const char* only_first_too = "a, b = map(int, input().split())\nprint('x' if a != 1 else 3)\n";
  const char* only_second = "a, b = map(int, input().split())\nprint(6 if a == 10 else 'y')\n";
  load({{"roles",
         {{"coder",
           {{"steps", {answer(only_second), answer(only_first), answer(only_first_too)}}}}}}});
  TaskResult agreed = run(spec({{"n", 3}}));
  ASSERT_EQ(agreed.status, TaskStatus::succeeded) << agreed.error;
  // Equal behaviour, one answer whichever came first: the shorter program, then the first in
  // byte order (these two are equally long).
  EXPECT_EQ(agreed.answer, only_first_too);
  EXPECT_EQ(agreed.details["selected_by"], "tests_then_behaviour");
  EXPECT_EQ(agreed.details["groups"].size(), 2u) << agreed.details.dump();

  // One of each: the groups tie, and the judge picks the second finalist.
  load({{"roles",
         {{"coder", {{"steps", {answer(only_first), answer(only_second)}}}},
          {"judge", {{"default", {{"json", {{"choice", 2}}}}}}}}}});
  json judged = spec({{"n", 2}, {"use_judge", true}});
  judged["roles"]["judge"] = role("strong", "reviewer");
  TaskResult result = run(judged);
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.details["selected_by"], "judge");
  EXPECT_EQ(result.details["tied_groups"], 2);
  ASSERT_EQ(requests_of("judge").size(), 1u);
  // Finalists are ordered by their programs; the judge's choice maps back to one.
  const std::string prompt = requests_of("judge")[0]["last_user"];
  const std::string second_listed = prompt.substr(prompt.find("Program 2:"));
  EXPECT_NE(second_listed.find(result.answer.get<std::string>()), std::string::npos);
}

TEST_F(BestOfNTest, ATieWithoutAJudgeIsReportedNotBrokenByOrder) {
  const char* only_first = "a, b = map(int, input().split())\nprint(3 if a == 1 else 'x')\n";
  const char* only_second = "a, b = map(int, input().split())\nprint(6 if a == 10 else 'y')\n";
  load({{"roles", {{"coder", {{"steps", {answer(only_first), answer(only_second)}}}}}}});
  TaskResult result = run(spec({{"n", 2}}));
  EXPECT_EQ(result.status, TaskStatus::failed);
  EXPECT_EQ(result.error.rfind("tie: 2 groups", 0), 0u) << result.error;
  EXPECT_EQ(result.details["groups"].size(), 2u) << result.details.dump();
  EXPECT_EQ(events("candidate.tie").size(), 1u);
}

TEST_F(BestOfNTest, FirstPassWinsCancelsTheOthers) {
  load(
      {{"roles",
        {{"coder", {{"steps", {answer(kAdder), answer(kAdder, 30000), answer(kAdder, 30000)}}}}}}});
  const auto started = std::chrono::steady_clock::now();
  TaskResult result = run(spec({{"n", 3}, {"first_pass_wins", true}}));
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.details["selected_by"], "first_pass");
  EXPECT_EQ(finished_with("cancelled").size(), 2u);
  EXPECT_EQ(result.dropped.size(), 2u);
  std::printf("first pass wins: %.0f ms (the other candidates were 30 s away)\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                  .count());
}

TEST_F(BestOfNTest, TesterAgentsWriteTestsWhenTheTaskHasNone) {
  load({{"roles",
         {{"tester",
           {{"default",
             {{"json",
               {{"tests",
                 {{{"stdin", "4 5"}, {"expected_stdout", "9"}},
                  {{"stdin", "0 0"}, {"expected_stdout", "0"}}}}}}}}}},
          {"coder", {{"steps", {answer(kWrong), answer(kAdder)}}}}}}});
  json s = spec({{"n", 2}, {"tester_agents", 2}}, json::array());
  s.erase("tests");
  s["roles"]["tester"] = role("strong", "tester");
  TaskResult result = run(s);
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error;
  EXPECT_EQ(result.answer, kAdder);
  EXPECT_EQ(result.details["tests"], 2);  // the two testers' identical tests, deduplicated
  ASSERT_EQ(events("tests.written").size(), 1u);
}

TEST_F(BestOfNTest, TesterTestsThatProveNothingAreDiscardedAndReported) {
  // "0 0" -> "0" and "" -> "" pass a program that echoes or prints nothing; "2 2" -> "5" is
  // wrong, and both candidates fail it.
  load({{"roles",
         {{"tester",
           {{"default",
             {{"json",
               {{"tests",
                 {{{"name", "sum"}, {"stdin", "4 5"}, {"expected_stdout", "9"}},
                  {{"name", "echo"}, {"stdin", "0"}, {"expected_stdout", "0\n"}},
                  {{"name", "silent"}, {"stdin", ""}, {"expected_stdout", " "}},
                  {{"name", "wrong"}, {"stdin", "2 2"}, {"expected_stdout", "5"}}}}}}}}}},
          {"coder", {{"steps", {answer(kAdderToo), answer(kAdderThree)}}}}}}});
  json s = spec({{"n", 2}, {"tester_agents", 1}}, json::array());
  s.erase("tests");
  s["roles"]["tester"] = role("strong", "tester");
  TaskResult result = run(s);
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error << result.details.dump();
  EXPECT_EQ(result.details["tests"], 1);  // only "sum" counts
  std::set<std::string> discarded;
  for (const json& d : result.details["discarded_tests"]) discarded.insert(d["test"]);
  EXPECT_EQ(discarded, (std::set<std::string>{"echo", "silent", "wrong"}));
  ASSERT_EQ(events("tests.written").size(), 1u);
  EXPECT_EQ(events("tests.written")[0].data["discarded"].size(), 2u);
  ASSERT_EQ(events("tests.discarded").size(), 1u);
  EXPECT_EQ(result.details["coverage"]["passed_all"], 2);
  // Both pass the one test and behave alike, also on the discarded tests' inputs (probes):
  // the shorter program wins, in any order.
  EXPECT_EQ(result.answer, kAdderThree);
}

TEST_F(BestOfNTest, ProgramTestsCheckExitStatusAndTheFilesItLeaves) {
  // Writes the sum to out/sum.txt, exits 2 on a bad input; the liar prints the sum and exits 0
  // on everything, writing nothing.
  const char* right =
      "import os, sys\ntry:\n    a, b = map(int, input().split())\nexcept ValueError:\n"
      "    sys.exit(2)\nos.makedirs('out', exist_ok=True)\n"
      "open('out/sum.txt', 'w').write(str(a + b))\n";
  const char* liar = "print(5)\n";
  const json tests =
      json::array({{{"name", "file"}, {"stdin", "2 3"}, {"expected_files", {{"out/sum.txt", "5"}}}},
                   {{"name", "status"}, {"stdin", "two 3"}, {"expected_exit_status", 2}},
                   {{"name", "both"},
                    {"stdin", "1 1"},
                    {"expected_stdout", ""},
                    {"expected_exit_status", 0},
                    {"expected_files", {{"out/sum.txt", "2"}}}}});
  load({{"roles", {{"coder", {{"steps", {answer(liar), answer(right)}}}}}}});
  TaskResult result = run(spec({{"n", 2}}, tests));
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error << result.details.dump();
  EXPECT_EQ(result.answer, right);
  for (const json& c : result.details["candidates"]) {
    if (c["passed_all"] == true) continue;
    EXPECT_EQ(c["passed"], 0) << c.dump();
    ASSERT_EQ(c["failed"].size(), 3u) << c.dump();
    EXPECT_EQ(c["failed"][0]["why"], "the program left no file out/sum.txt");
    EXPECT_EQ(c["failed"][1]["why"], "exited with status 0, expected 2");
  }
}

TEST_F(BestOfNTest, CCandidatesCompileOnceAndTheirTestsTimeOnlyTheProgram) {
  // 200 ms per test would not hold gcc as well; a spinning program fails at its limit.
  const char* right =
      "#include <stdio.h>\nint main(void) { int a, b; scanf(\"%d %d\", &a, &b); "
      "printf(\"%d\\n\", a + b); return 0; }\n";
  const char* spins = "int main(void) { for (;;) {} }\n";
  const char* broken = "int main( {\n";
  json tests = json::array();
  for (int i = 0; i < 4; ++i)
    tests.push_back({{"stdin", std::to_string(i) + " 1"},
                     {"expected_stdout", std::to_string(i + 1)},
                     {"time_limit_ms", 200}});
  load({{"roles",
         {{"coder",
           {{"steps", {answer(spins, 0, "c"), answer(broken, 0, "c"), answer(right, 0, "c")}}}}}}});
  const auto started = std::chrono::steady_clock::now();
  TaskResult result = run(spec({{"n", 3}, {"language", "c"}}, tests));
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error << result.details.dump();
  EXPECT_EQ(result.answer, right);
  for (const json& c : result.details["candidates"]) {
    if (c["passed_all"] == true) continue;
    EXPECT_EQ(c["passed"], 0) << c.dump();
    const std::string why = c["failed"][0]["why"];
    EXPECT_TRUE(why.rfind("status timeout (the test's limit is 200 ms)", 0) == 0 ||
                why.rfind("the candidate does not compile", 0) == 0)
        << why;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
}

TEST_F(BestOfNTest, NoPassingCandidateFailsTheTask) {
  load({{"roles", {{"coder", {{"default", answer(kWrong)}}}}}});
  TaskResult result = run(spec({{"n", 2}}));
  EXPECT_EQ(result.status, TaskStatus::failed);
  EXPECT_EQ(result.error, "no candidate passed any test");
}

TEST(CandidateTests, NormalisesOutputAndExtractsCode) {
  EXPECT_EQ(patterns::normalize_output("a  \nb\t\r\n\n\n"), "a\nb");
  EXPECT_EQ(patterns::normalize_output(""), "");
  EXPECT_EQ(patterns::extract_code("Here:\n```python\nprint(1)\n```\nDone"), "print(1)\n");
  EXPECT_EQ(patterns::extract_code("print(2)"), "print(2)");
}

}  // namespace
}  // namespace agents::testing
