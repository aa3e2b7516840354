// best_of_n on a repository (docs/repositories.md): N coders, each on its own branch in its own
// worktree; each candidate is the state of its branch after the daemon committed it. The
// repository's test_command runs first on the base commit (the test ids it reports are what
// every candidate must report), then on every candidate in parallel sandboxes, each on a test
// tree whose protected paths (tests, runner configuration) come from the base plus the task's
// hidden tests (repository_tests.h): a candidate cannot change what judges it. Selection as for
// programs, never by arrival: most tests passed; then agreement (candidates whose patches are
// identical form a group; the largest wins); then the judge if the task asks for one; a tie that
// remains goes to the smallest patch, then the first in byte order.
#include <boost/asio/this_coro.hpp>

#include "agents/patterns/candidate_selection.h"
#include "agents/patterns/parallel.h"
#include "agents/patterns/pattern.h"
#include "agents/patterns/repository_result.h"
#include "agents/patterns/repository_tests.h"
#include "agents/runtime/validation.h"
#include "agents/tools/workspace_dir.h"
#include "base/coroutine_warning.h"
#include "repo/test_tree.h"

namespace agents::patterns {

namespace asio = boost::asio;
using nlohmann::json;
using runtime::AgentOutcome;
using runtime::AgentSpec;

namespace {

struct RepoCandidate {
  AgentOutcome agent;
  std::optional<runtime::AgentBranch> branch;
  RepositoryTesting testing;
  std::vector<std::string> protected_changes;
  std::string patch;  // against the base, for agreement and the judge
  bool tested = false;
  std::string why_untested;
};

AGENTD_COROUTINE_FRAMES_BEGIN

class BestOfNOnRepository {
 public:
  explicit BestOfNOnRepository(runtime::TaskContext& task)
      : task_(task),
        options_(task.spec.best_of_n),
        spec_(*task.spec.repository),
        is_protected_(protected_path_matcher(spec_)) {
    for (const InputFile& file : spec_.hidden_tests) hidden_.emplace_back(file.path, file.content);
  }

  asio::awaitable<PatternResult> run() {
    PatternResult result;
    coder_policy_ = task_.policy_for_role("coder");
    test_policy_ = task_.role("tester") ? task_.policy_for_role("tester") : coder_policy_;
    if (!test_policy_ || !coder_policy_) {
      result.error = "no policy to run the repository's tests under";
      co_return result;
    }
    if (auto base = co_await test_base(); !base) {
      result.error = base.error().message;
      co_return result;
    }
    candidates_.resize(options_.n);
    mark_ = task_.dropped().size();
    runtime::Nursery coders(co_await asio::this_coro::executor);
    coders_ = &coders;
    for (RepoCandidate& c : candidates_) coders.spawn(produce(c));
    co_await coders.join();
    coders_ = nullptr;
    co_return co_await select(std::move(result));
  }

 private:
  // The base commit's run: the test ids every candidate's run must report.
  asio::awaitable<base::Status> test_base() {
    const std::string base = task_.repository()->base();
    auto testing = co_await test_tree("base", base, nullptr);
    if (!testing) co_return testing.error();
    if (!testing->error.empty())
      co_return base::Error{"the repository's tests could not run on the base commit: " +
                            testing->error};
    if (testing->from_report && testing->ids.empty())
      co_return base::Error{
          "the repository's test_command reported no tests on the base commit (its JUnit report "
          "lists none): nothing could tell the candidates apart. Output: " +
          testing->output_tail};
    base_ids_ = testing->ids;
    base_passed_ = passed_in(*testing);
    base_total_ = testing->outcomes.size();
    task_.emit(
        "repository.base_tested", {},
        {{"tests", base_total_}, {"passed", base_passed_}, {"from_report", testing->from_report}});
    co_return base::Ok{};
  }

  // The repository's tests on `head`'s test tree, in a directory of its own removed afterwards.
  asio::awaitable<base::Expected<RepositoryTesting>> test_tree(
      const std::string& agent_id, const std::string& head,
      std::vector<std::string>* protected_changes) {
    const std::filesystem::path dir = task_.workspace_path(agent_id + ".tests");
    runtime::TaskRepository& repository = *task_.repository();
    auto tree = co_await task_.blocking([&] {
      return repository.locked([&](repo::Repository& r) {
        return repo::make_test_tree(r, repository.base(), head, is_protected_, hidden_, dir);
      });
    });
    if (!tree) co_return base::Error{"test tree for " + agent_id + ": " + tree.error().message};
    if (protected_changes) *protected_changes = tree->protected_changes;
    RepositoryTesting testing =
        co_await run_repository_tests(task_, *test_policy_, agent_id, dir, base_ids_);
    // A tree left behind goes with the task's directory when the task is pruned.
    [[maybe_unused]] base::Status removed =
        co_await task_.blocking([&] { return tools::remove_tree(dir); });
    co_return testing;
  }

  asio::awaitable<void> produce(RepoCandidate& candidate) {
    AgentSpec coder;
    coder.role = "coder";
    coder.default_system_prompt =
        "You change code in a git repository. Its files are checked out at /workspace, on a "
        "branch of your own; change them with your tools. The repository's tests decide.";
    coder.prompt = task_.spec.prompt +
                   "\n\nWhen the change is complete, answer with a one-paragraph summary of it.";
    candidate.agent = co_await runtime::run_agent(task_, std::move(coder));
    candidate.branch = candidate.agent.branch;
    if (!runtime::accept_result(task_, candidate.agent)) {
      candidate.why_untested = "no valid answer";
      co_return;
    }
    if (!candidate.branch) {
      candidate.why_untested = "its changes could not be committed";
      co_return;
    }
    if (candidate.branch->head == candidate.branch->base) {
      candidate.why_untested = "changed nothing";
      co_return;
    }
    auto testing = co_await test_tree(candidate.agent.id, candidate.branch->head,
                                      &candidate.protected_changes);
    if (!testing) {
      candidate.why_untested = testing.error().message;
      co_return;
    }
    candidate.testing = std::move(*testing);
    candidate.tested = true;
    const size_t passed = passed_in(candidate.testing);
    task_.emit("candidate.tested", candidate.agent.id,
               {{"passed", passed},
                {"total", candidate.testing.outcomes.size()},
                {"branch", candidate.branch->branch},
                {"protected_changes", candidate.protected_changes}});
    if (options_.first_pass_wins && passed == candidate.testing.outcomes.size() && !first_winner_) {
      first_winner_ = &candidate;
      task_.emit("candidate.won", candidate.agent.id, {{"reason", "first to pass every test"}});
      coders_->cancel();
    }
  }

  static size_t passed_in(const RepositoryTesting& testing) {
    size_t passed = 0;
    for (const TestOutcome& t : testing.outcomes) passed += t.passed;
    return passed;
  }

  asio::awaitable<PatternResult> select(PatternResult result) {
    std::vector<RepoCandidate*> tested;
    for (RepoCandidate& c : candidates_)
      if (c.tested) tested.push_back(&c);
    if (first_winner_) co_return co_await win(std::move(result), *first_winner_, "first_pass");
    size_t best = 0;
    for (RepoCandidate* c : tested) best = std::max(best, passed_in(c->testing));
    if (best == 0) {
      result.details = details();
      result.error = with_causes(task_, mark_, "no candidate passed any test");
      co_return result;
    }
    std::vector<RepoCandidate*> finalists;
    for (RepoCandidate* c : tested)
      if (passed_in(c->testing) == best) finalists.push_back(c);
    std::vector<std::string> patches;
    patches.reserve(finalists.size());
    for (RepoCandidate* c : finalists) {
      c->patch = co_await patch_of(*c);
      patches.push_back(c->patch);
    }
    const Grouping grouping = group_by_behaviour(patches, patches);
    std::vector<RepoCandidate*> leaders;  // each tied group's smallest patch
    for (size_t g = 0; g < grouping.tied; ++g)
      leaders.push_back(finalists[representative(grouping.groups[g], patches)]);
    if (leaders.size() == 1)
      co_return co_await win(std::move(result), *leaders[0], "tests_then_agreement");
    json groups = json::array();
    for (const std::vector<size_t>& group : grouping.groups) {
      groups.push_back(json::array());
      for (size_t i : group) groups.back().push_back(finalists[i]->agent.id);
    }
    task_.emit("candidate.tie", {}, {{"groups", std::move(groups)}});
    if (options_.use_judge) {
      const size_t mark = task_.dropped().size();
      if (RepoCandidate* chosen = co_await judge(leaders))
        co_return co_await win(std::move(result), *chosen, "judge");
      task_.emit("judge.failed", {}, {{"why", with_causes(task_, mark, "no valid choice")}});
    }
    std::vector<size_t> all(leaders.size());
    std::vector<std::string> leader_patches;
    for (size_t i = 0; i < leaders.size(); ++i) {
      all[i] = i;
      leader_patches.push_back(leaders[i]->patch);
    }
    co_return co_await win(std::move(result), *leaders[representative(all, leader_patches)],
                           "smallest_patch");
  }

  asio::awaitable<std::string> patch_of(const RepoCandidate& c) {
    runtime::TaskRepository& repository = *task_.repository();
    auto patch = co_await task_.blocking(
        [&] { return repository.diff(repository.base(), c.branch->head, kMaxResultPatchBytes); });
    co_return patch ? patch->text : c.branch->head;
  }

  asio::awaitable<RepoCandidate*> judge(const std::vector<RepoCandidate*>& leaders) {
    std::vector<std::string> patches;
    patches.reserve(leaders.size());
    for (RepoCandidate* c : leaders) patches.push_back(c->patch);
    const std::optional<size_t> choice = co_await ask_judge(task_, "patches", "Patch", patches);
    co_return choice ? leaders[*choice] : nullptr;
  }

  asio::awaitable<PatternResult> win(PatternResult result, RepoCandidate& winner, const char* by) {
    result.details = details();
    result.succeeded = true;
    result.answer = winner.agent.answer_text();
    result.details["winner"] = winner.agent.id;
    result.details["selected_by"] = by;
    task_.emit(
        "candidate.selected", winner.agent.id,
        {{"by", by}, {"passed", passed_in(winner.testing)}, {"branch", winner.branch->branch}});
    result.repository = co_await repository_result(task_, *winner.branch, tests_json());
    co_return result;
  }

  json tests_json() const {
    json candidates = json::array();
    for (const RepoCandidate& c : candidates_) {
      if (c.agent.id.empty()) continue;
      json entry = {{"agent", c.agent.id}, {"tested", c.tested}};
      if (c.branch) entry["branch"] = c.branch->branch, entry["head"] = c.branch->head;
      if (!c.tested) {
        entry["why"] = c.why_untested;
        candidates.push_back(std::move(entry));
        continue;
      }
      const size_t passed = passed_in(c.testing);
      entry["passed"] = passed;
      entry["total"] = c.testing.outcomes.size();
      entry["passed_all"] = passed == c.testing.outcomes.size();
      entry["verdict_from"] = c.testing.from_report ? "junit" : "exit_status";
      entry["protected_changes"] = c.protected_changes;
      json failed = json::array();
      for (const TestOutcome& t : c.testing.outcomes)
        if (!t.passed && failed.size() < 8) failed.push_back({{"test", t.name}, {"why", t.detail}});
      entry["failed"] = std::move(failed);
      candidates.push_back(std::move(entry));
    }
    return {{"base", {{"tests", base_total_}, {"passed", base_passed_}}},
            {"candidates", std::move(candidates)}};
  }

  json details() const {
    size_t tested = 0, passed_all = 0;
    for (const RepoCandidate& c : candidates_) {
      tested += c.tested;
      passed_all += c.tested && passed_in(c.testing) == c.testing.outcomes.size();
    }
    return {{"tests", base_total_},
            {"coverage", {{"passed_all", passed_all}, {"tested", tested}}},
            {"candidates", tests_json()["candidates"]}};
  }

  runtime::TaskContext& task_;
  const BestOfNOptions& options_;
  const RepositorySpec& spec_;
  std::function<bool(std::string_view)> is_protected_;
  std::vector<std::pair<std::string, std::string>> hidden_;
  std::shared_ptr<const policies::Compiled> test_policy_, coder_policy_;
  std::vector<std::string> base_ids_;
  size_t base_passed_ = 0, base_total_ = 0;
  std::vector<RepoCandidate> candidates_;
  runtime::Nursery* coders_ = nullptr;
  RepoCandidate* first_winner_ = nullptr;
  size_t mark_ = 0;
};

}  // namespace

asio::awaitable<PatternResult> best_of_n_on_repository(runtime::TaskContext& task) {
  BestOfNOnRepository run(task);
  co_return co_await run.run();
}

AGENTD_COROUTINE_FRAMES_END

}  // namespace agents::patterns
