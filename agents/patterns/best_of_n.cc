// best_of_n (as in CodeMonkeys): N coder agents write candidate programs in parallel; each
// valid candidate is tested as soon as it arrives, every test in its own sandbox. Selection:
// most tests passed, then the largest group of passers whose outputs agree, then (when asked)
// a judge among the groups that tie. With first_pass_wins, the first candidate that passes
// every test wins and the other coders and tests are cancelled. When the task gives no tests
// and asks for tester agents, they write stdin/expected-stdout tests first.
#include <boost/asio/this_coro.hpp>
#include <map>
#include <set>

#include "agents/patterns/candidate_tests.h"
#include "agents/patterns/parallel.h"
#include "agents/patterns/pattern.h"
#include "agents/runtime/validation.h"

namespace agents::patterns {

namespace asio = boost::asio;
using nlohmann::json;
using runtime::AgentOutcome;
using runtime::AgentSpec;

namespace {

struct Candidate {
  AgentOutcome agent;
  CandidateRun run;
  std::vector<TestOutcome> tests;
  bool valid = false;
  size_t passed() const {
    return static_cast<size_t>(
        std::count_if(tests.begin(), tests.end(), [](const TestOutcome& t) { return t.passed; }));
  }
  std::string signature() const {
    std::string text;
    for (const TestOutcome& t : tests) text += t.output + '\x1f';
    return text;
  }
};

json tests_schema() {
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

class BestOfN {
 public:
  explicit BestOfN(runtime::TaskContext& task)
      : task_(task), options_(task.spec.best_of_n), tests_(task.spec.tests) {}

  asio::awaitable<PatternResult> run() {
    PatternResult result;
    test_policy_ = task_.policy_for_role(task_.role("tester") ? "tester" : "coder");
    if (!test_policy_) {
      result.error = "no policy to run tests under";
      co_return result;
    }
    const size_t mark = task_.dropped().size();
    if (tests_.empty()) co_await write_tests();
    if (tests_.empty()) {
      result.error =
          with_causes(task_, mark, "no tests: the tester agents wrote none that validate");
      co_return result;
    }
    coders_mark_ = task_.dropped().size();
    candidates_.resize(options_.n);
    runtime::Nursery coders(co_await asio::this_coro::executor);
    coders_ = &coders;
    for (size_t i = 0; i < candidates_.size(); ++i) coders.spawn(produce(candidates_[i]));
    co_await coders.join();
    coders_ = nullptr;
    co_return co_await select(std::move(result));
  }

 private:
  asio::awaitable<void> write_tests() {
    std::vector<AgentSpec> testers(options_.tester_agents);
    for (AgentSpec& tester : testers) {
      tester.role = "tester";
      tester.default_system_prompt = "You write tests for programs: inputs and exact outputs.";
      tester.prompt =
          "Write tests for a program that solves this task. Each test gives the "
          "program's standard input and its exact expected standard output.\n\n" +
          task_.spec.prompt;
      tester.answer_schema = tests_schema();
    }
    std::vector<AgentOutcome> outcomes = co_await run_agents(task_, std::move(testers));
    std::set<std::string> seen;
    for (const AgentOutcome& outcome : keep_valid(task_, std::move(outcomes), tests_schema())) {
      for (const json& t : outcome.answer["tests"]) {
        if (!seen.insert(t["stdin"].get<std::string>()).second) continue;
        tests_.push_back({t.value("name", outcome.id + " test " + std::to_string(seen.size())),
                          t["stdin"].get<std::string>(), t["expected_stdout"].get<std::string>(),
                          "", ""});
      }
    }
    task_.emit("tests.written", {}, {{"tests", tests_.size()}});
  }

  asio::awaitable<void> produce(Candidate& candidate) {
    AgentSpec coder;
    coder.role = "coder";
    coder.default_system_prompt = "You write a complete " + options_.language +
                                  " program that reads standard input and writes standard output.";
    coder.prompt = task_.spec.prompt + "\n\nGive the whole program as your final answer.";
    candidate.agent = co_await runtime::run_agent(task_, std::move(coder));
    if (!runtime::accept_result(task_, candidate.agent)) co_return;
    candidate.valid = true;
    candidate.run = {candidate.agent.id, *policies::parse_language(options_.language),
                     extract_code(candidate.agent.answer_text()), candidate.agent.workspace};
    candidate.tests = co_await run_candidate_tests(task_, *test_policy_, candidate.run, tests_);
    task_.emit("candidate.tested", candidate.agent.id,
               {{"passed", candidate.passed()}, {"total", tests_.size()}});
    if (options_.first_pass_wins && candidate.passed() == tests_.size() && !first_winner_) {
      first_winner_ = &candidate;
      task_.emit("candidate.won", candidate.agent.id, {{"reason", "first to pass every test"}});
      coders_->cancel();  // the other coders and their tests; this one is done
    }
  }

  asio::awaitable<PatternResult> select(PatternResult result) {
    std::vector<Candidate*> tested;
    for (Candidate& c : candidates_)
      if (c.valid && c.tests.size() == tests_.size()) tested.push_back(&c);
    result.details = details();
    size_t best = 0;
    for (Candidate* c : tested) best = std::max(best, c->passed());
    if (first_winner_) co_return win(std::move(result), *first_winner_, "first_pass");
    if (best == 0) {
      result.error = with_causes(task_, coders_mark_, "no candidate passed any test");
      co_return result;
    }
    // Groups of best candidates whose outputs agree, largest first, then by arrival order.
    std::map<std::string, std::vector<Candidate*>> groups;
    for (Candidate* c : tested)
      if (c->passed() == best) groups[c->signature()].push_back(c);
    std::vector<std::vector<Candidate*>> ordered;
    ordered.reserve(groups.size());
    for (auto& [signature, members] : groups) ordered.push_back(members);
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const auto& a, const auto& b) { return a.size() > b.size(); });
    size_t tied = 1;
    while (tied < ordered.size() && ordered[tied].size() == ordered[0].size()) ++tied;
    if (tied == 1) co_return win(std::move(result), *ordered[0][0], "tests_then_agreement");
    result.details["tied_groups"] = tied;
    if (!options_.use_judge) co_return win(std::move(result), *ordered[0][0], "tie_first");
    std::vector<Candidate*> finalists;
    for (size_t i = 0; i < tied; ++i) finalists.push_back(ordered[i][0]);
    const size_t mark = task_.dropped().size();
    Candidate* chosen = co_await judge(finalists);
    if (!chosen) {
      result.error = with_causes(task_, mark, "candidates tie and the judge gave no valid choice");
      co_return result;
    }
    co_return win(std::move(result), *chosen, "judge");
  }

  asio::awaitable<Candidate*> judge(const std::vector<Candidate*>& finalists) {
    AgentSpec judge;
    judge.role = "judge";
    judge.default_system_prompt = "You choose the best of several programs for a task.";
    judge.prompt = "Task:\n" + task_.spec.prompt + "\n\nThese programs pass the same tests:\n\n";
    for (size_t i = 0; i < finalists.size(); ++i)
      judge.prompt += "Program " + std::to_string(i + 1) + ":\n" + finalists[i]->run.code + "\n\n";
    judge.prompt += "Answer with {\"choice\": <number of the best program>}.";
    judge.answer_schema =
        json{{"type", "object"},
             {"properties",
              {{"choice", {{"type", "integer"}, {"minimum", 1}, {"maximum", finalists.size()}}}}},
             {"required", {"choice"}}};
    judge.tools_enabled = false;
    const json schema = *judge.answer_schema;
    AgentOutcome outcome = co_await runtime::run_agent(task_, std::move(judge));
    if (!runtime::accept_result(task_, outcome, schema)) co_return nullptr;
    co_return finalists[outcome.answer["choice"].get<size_t>() - 1];
  }

  PatternResult win(PatternResult result, Candidate& winner, const char* by) {
    result.succeeded = true;
    result.answer = winner.run.code;
    result.details["winner"] = winner.agent.id;
    result.details["selected_by"] = by;
    task_.emit("candidate.selected", winner.agent.id, {{"by", by}, {"passed", winner.passed()}});
    return result;
  }

  json details() const {
    json list = json::array();
    for (const Candidate& c : candidates_) {
      if (c.agent.id.empty()) continue;
      list.push_back({{"agent", c.agent.id},
                      {"valid", c.valid},
                      {"passed", c.passed()},
                      {"tested", c.tests.size() == tests_.size() && c.valid}});
    }
    return {{"tests", tests_.size()}, {"candidates", std::move(list)}};
  }

  runtime::TaskContext& task_;
  const BestOfNOptions& options_;
  std::vector<TestCase> tests_;
  std::shared_ptr<const policies::Compiled> test_policy_;
  std::vector<Candidate> candidates_;
  runtime::Nursery* coders_ = nullptr;
  Candidate* first_winner_ = nullptr;
  size_t coders_mark_ = 0;  // task.dropped() before the coders: their causes of failure
};

}  // namespace

asio::awaitable<PatternResult> best_of_n(runtime::TaskContext& task) {
  BestOfN run(task);
  co_return co_await run.run();
}

}  // namespace agents::patterns
