// best_of_n (as in CodeMonkeys): N coder agents write candidate programs in parallel; each
// valid candidate is tested as soon as it arrives (candidate_tests.h: verdicts reached outside
// the candidate). Selection never depends on the order answers arrive in: the candidates that
// pass the most tests are run on more inputs (candidate_selection.h) and grouped by identical
// behaviour; the largest group wins, then the judge if the task asks for one; a tie that
// remains is reported. With first_pass_wins, the first candidate that passes every test wins
// and the other coders and tests are cancelled. When the task gives no tests and asks for
// tester agents, they write program tests first (tester_tests.h: those a trivial program
// passes, or that every candidate fails, are discarded and reported).
#include <boost/asio/this_coro.hpp>

#include "agents/patterns/candidate_selection.h"
#include "agents/patterns/candidate_tests.h"
#include "agents/patterns/parallel.h"
#include "agents/patterns/pattern.h"
#include "agents/patterns/test_harness.h"
#include "agents/patterns/tester_tests.h"
#include "agents/runtime/validation.h"

namespace agents::patterns {

namespace asio = boost::asio;
using nlohmann::json;
using runtime::AgentOutcome;
using runtime::AgentSpec;

namespace {

constexpr size_t kMaxProbes = 32;

struct Candidate {
  AgentOutcome agent;
  CandidateRun run;
  CandidateTesting testing;
  bool valid = false;
  bool tested = false;
  std::string probed;  // what it did with the probes
};

class BestOfN {
 public:
  explicit BestOfN(runtime::TaskContext& task)
      : task_(task), options_(task.spec.best_of_n), tests_(task.spec.tests) {}

  asio::awaitable<PatternResult> run() {
    PatternResult result;
    coder_policy_ = task_.policy_for_role("coder");
    test_policy_ = task_.role("tester") ? task_.policy_for_role("tester") : coder_policy_;
    if (!test_policy_ || !coder_policy_) {
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
    std::vector<AgentOutcome> outcomes = co_await run_agents(
        task_, tester_specs(task_.spec.prompt, options_.tester_agents, options_.language));
    TesterTests written =
        collect_tester_tests(keep_valid(task_, std::move(outcomes), tester_tests_schema()));
    tests_ = std::move(written.tests);
    from_testers_ = true;
    discarded_ = std::move(written.discarded);
    task_.emit("tests.written", {}, {{"tests", tests_.size()}, {"discarded", discarded_json()}});
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
    candidate.testing =
        co_await run_candidate_tests(task_, *test_policy_, *coder_policy_, candidate.run, tests_);
    candidate.tested = true;
    const size_t passed = passed_by(candidate);
    task_.emit("candidate.tested", candidate.agent.id,
               {{"passed", passed}, {"total", candidate.testing.outcomes.size()}});
    if (options_.first_pass_wins && passed == candidate.testing.outcomes.size() && !first_winner_) {
      first_winner_ = &candidate;
      task_.emit("candidate.won", candidate.agent.id, {{"reason", "first to pass every test"}});
      coders_->cancel();  // the other coders and their tests; this one is done
    }
  }

  size_t passed_by(const Candidate& c) const {
    size_t passed = 0;
    for (const TestOutcome& t : c.testing.outcomes) passed += t.passed && !discarded_test(t.test);
    return passed;
  }
  bool discarded_test(size_t test) const {
    for (const DiscardedTest& d : discarded_)
      if (d.test == test) return true;
    return false;
  }

  asio::awaitable<PatternResult> select(PatternResult result) {
    std::vector<Candidate*> tested;
    for (Candidate& c : candidates_)
      if (c.tested) tested.push_back(&c);
    if (first_winner_) co_return win(std::move(result), *first_winner_, "first_pass");
    if (from_testers_) discard_failed_by_all(tested);
    size_t best = 0;
    for (Candidate* c : tested) best = std::max(best, passed_by(*c));
    if (best == 0) {
      result.details = details(tested, {});
      result.error = with_causes(task_, coders_mark_, "no candidate passed any test");
      co_return result;
    }
    std::vector<Candidate*> finalists;
    for (Candidate* c : tested)
      if (passed_by(*c) == best) finalists.push_back(c);
    if (finalists.size() > 1) co_await probe(finalists);
    std::vector<std::string> signatures, codes;
    for (Candidate* c : finalists) {
      signatures.push_back(c->probed);
      for (const TestOutcome& t : c->testing.outcomes) signatures.back() += '\x1f' + t.output;
      codes.push_back(c->run.code);
    }
    const Grouping grouping = group_by_behaviour(signatures, codes);
    result.details = details(tested, named_groups(grouping, finalists));
    auto first_of = [&](size_t group) {
      return finalists[representative(grouping.groups[group], codes)];
    };
    if (grouping.tied == 1) co_return win(std::move(result), *first_of(0), "tests_then_behaviour");
    result.details["tied_groups"] = grouping.tied;
    if (!options_.use_judge) {
      result.error = "tie: " + std::to_string(grouping.tied) +
                     " groups of candidates pass the same tests and behave differently (details "
                     "lists them); ask for a judge (use_judge) or add tests that tell them apart";
      task_.emit("candidate.tie", {}, {{"groups", result.details["groups"]}});
      co_return result;
    }
    std::vector<Candidate*> judged;
    for (size_t i = 0; i < grouping.tied; ++i) judged.push_back(first_of(i));
    const size_t mark = task_.dropped().size();
    Candidate* chosen = co_await judge(judged);
    if (!chosen) {
      result.error = with_causes(task_, mark, "candidates tie and the judge gave no valid choice");
      co_return result;
    }
    co_return win(std::move(result), *chosen, "judge");
  }

  // A tester's test that every candidate fails is more likely wrong than every candidate.
  void discard_failed_by_all(const std::vector<Candidate*>& tested) {
    if (tested.size() < 2) return;
    for (size_t test = 0; test < tests_.size(); ++test) {
      if (discarded_test(test)) continue;
      bool someone_passed = false;
      for (Candidate* c : tested)
        for (const TestOutcome& t : c->testing.outcomes)
          someone_passed = someone_passed || (t.test == test && t.passed);
      if (!someone_passed)
        discarded_.push_back(
            {test, tests_[test].name, "every candidate failed it", tests_[test].stdin_data});
    }
    if (!discarded_.empty()) task_.emit("tests.discarded", {}, {{"tests", discarded_json()}});
  }

  // The finalists on inputs beyond the tests': calls of their functions made from the tests'
  // calls (Python script tests), stdin inputs made from the tests' (program tests). Each
  // finalist's test run answered probes made from its own tests' calls already; when the
  // finalists' tests made different calls, those probes differ, and all of them are probed
  // again on probes made from every finalist's calls. Equal programs are probed once.
  asio::awaitable<void> probe(const std::vector<Candidate*>& finalists) {
    HarnessJob job;
    bool same_calls = true;
    for (Candidate* c : finalists) {
      same_calls = same_calls && c->testing.probe_calls == finalists[0]->testing.probe_calls;
      for (const json& call : c->testing.calls) job.probe_calls.push_back(call);
    }
    if (same_calls) job.probe_calls = json::array();
    std::vector<std::string> inputs;
    std::chrono::milliseconds limit{600000};
    for (const TestCase& t : tests_)
      if (t.code.empty()) {
        inputs.push_back(t.stdin_data);
        limit = std::min(limit, t.time_limit);
      }
    std::vector<std::string> stdin_probes = derive_stdin_probes(inputs, kMaxProbes);
    for (const DiscardedTest& d : discarded_)  // a tester's input proves nothing, still tells
      if (d.test >= tests_.size() && stdin_probes.size() < kMaxProbes)
        stdin_probes.push_back(d.stdin_data);
    const size_t call_probes = finalists[0]->testing.probe_calls.size();
    if (!job.probe_calls.empty() || !stdin_probes.empty())
      task_.emit("candidates.probed", {},
                 {{"candidates", finalists.size()}, {"probes", call_probes + stdin_probes.size()}});
    std::map<std::string, std::string> by_code;
    runtime::Nursery runs(co_await asio::this_coro::executor);
    for (Candidate* c : finalists)
      if (by_code.emplace(c->run.code, "").second)
        runs.spawn(probe_one(*c, job, stdin_probes, limit, by_code[c->run.code]));
    co_await runs.join();
    for (Candidate* c : finalists) c->probed = by_code[c->run.code];
  }

  asio::awaitable<void> probe_one(const Candidate& c, const HarnessJob& job,
                                  const std::vector<std::string>& inputs,
                                  std::chrono::milliseconds limit, std::string& out) {
    std::vector<std::string> digests = c.testing.probe_digests;
    if (!job.probe_calls.empty()) {
      HarnessReport report = co_await run_harness(task_, *test_policy_, *coder_policy_, c.run, job);
      digests = std::move(report.probes);
      if (!report.complete) digests.emplace_back("incomplete");
    }
    for (const std::string& digest : digests) out += digest + '\x1f';
    for (const std::string& input : inputs)
      out += co_await probe_program(task_, *coder_policy_, c.run, c.testing.build, input, limit) +
             '\x1e';
  }

  asio::awaitable<Candidate*> judge(const std::vector<Candidate*>& finalists) {
    std::vector<std::string> programs;
    programs.reserve(finalists.size());
    for (Candidate* c : finalists) programs.push_back(c->run.code);
    const std::optional<size_t> choice = co_await ask_judge(task_, "programs", "Program", programs);
    co_return choice ? finalists[*choice] : nullptr;
  }

  PatternResult win(PatternResult result, Candidate& winner, const char* by) {
    if (result.details.empty()) result.details = details({}, {});
    result.succeeded = true;
    result.answer = winner.run.code;
    result.details["winner"] = winner.agent.id;
    result.details["selected_by"] = by;
    task_.emit("candidate.selected", winner.agent.id, {{"by", by}, {"passed", passed_by(winner)}});
    return result;
  }

  // Each group of finalists as their agent ids, in the groups' order.
  static std::vector<std::vector<std::string>> named_groups(
      const Grouping& grouping, const std::vector<Candidate*>& finalists) {
    std::vector<std::vector<std::string>> named;
    for (const auto& group : grouping.groups) {
      named.emplace_back();
      for (size_t i : group) named.back().push_back(finalists[i]->agent.id);
    }
    return named;
  }

  json details(const std::vector<Candidate*>& tested,
               const std::vector<std::vector<std::string>>& groups) const {
    size_t total = 0, passed_all = 0;
    for (Candidate* c : tested)
      total = std::max(total, c->testing.outcomes.size() - discarded_in(*c));
    json list = json::array();
    for (const Candidate& c : candidates_) {
      if (c.agent.id.empty()) continue;
      json entry = {{"agent", c.agent.id}, {"valid", c.valid}, {"tested", c.tested}};
      if (c.tested) {
        const size_t passed = passed_by(c);
        entry["passed"] = passed;
        entry["passed_all"] = passed == total;
        passed_all += passed == total;
        json failed = json::array();
        for (const TestOutcome& t : c.testing.outcomes)
          if (!t.passed && failed.size() < 8)
            failed.push_back({{"test", t.name}, {"why", t.detail}});
        entry["failed"] = std::move(failed);
      }
      for (size_t g = 0; g < groups.size(); ++g)
        if (std::find(groups[g].begin(), groups[g].end(), c.agent.id) != groups[g].end())
          entry["group"] = g + 1;
      list.push_back(std::move(entry));
    }
    return {{"tests", total},
            {"coverage", {{"passed_all", passed_all}, {"tested", tested.size()}}},
            {"groups", groups},
            {"discarded_tests", discarded_json()},
            {"candidates", std::move(list)}};
  }

  size_t discarded_in(const Candidate& c) const {
    size_t n = 0;
    for (const TestOutcome& t : c.testing.outcomes) n += discarded_test(t.test);
    return n;
  }

  json discarded_json() const {
    json out = json::array();
    for (const DiscardedTest& d : discarded_) out.push_back({{"test", d.name}, {"why", d.why}});
    return out;
  }

  runtime::TaskContext& task_;
  const BestOfNOptions& options_;
  std::vector<TestCase> tests_;
  bool from_testers_ = false;             // the tests are the tester agents'
  std::vector<DiscardedTest> discarded_;  // tester tests that prove nothing
  std::shared_ptr<const policies::Compiled> test_policy_, coder_policy_;
  std::vector<Candidate> candidates_;
  runtime::Nursery* coders_ = nullptr;
  Candidate* first_winner_ = nullptr;
  size_t coders_mark_ = 0;  // task.dropped() before the coders: their causes of failure
};

}  // namespace

asio::awaitable<PatternResult> best_of_n(runtime::TaskContext& task) {
  if (task.spec.repository) co_return co_await best_of_n_on_repository(task);
  BestOfN run(task);
  co_return co_await run.run();
}

}  // namespace agents::patterns
