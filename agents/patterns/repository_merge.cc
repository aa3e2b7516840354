#include "agents/patterns/repository_merge.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "agents/patterns/repository_tests.h"
#include "agents/runtime/agent.h"
#include "agents/runtime/truncate.h"
#include "agents/runtime/validation.h"
#include "agents/tools/workspace_dir.h"
#include "base/coroutine_warning.h"
#include "repo/merge.h"
#include "repo/test_tree.h"

namespace agents::patterns {

namespace asio = boost::asio;
using nlohmann::json;
using runtime::AgentBranch;
using runtime::AgentOutcome;
using runtime::AgentSpec;

bool agent_id_less(const std::string& a, const std::string& b) {
  auto split = [](const std::string& id) {
    size_t digits = id.size();
    while (digits > 0 && std::isdigit(static_cast<unsigned char>(id[digits - 1]))) --digits;
    return std::make_tuple(id.substr(0, digits), id.size() - digits, id.substr(digits));
  };
  return split(a) < split(b);
}

namespace {

constexpr size_t kMaxIntentChars = 2000;
constexpr size_t kMaxFailedNamesShown = 5;

std::string describe(const repo::ConflictedPath& path) {
  switch (path.kind) {
    case repo::ConflictKind::content:
      return "changed on both sides: resolve the <<<<<<< ours / ======= / >>>>>>> theirs markers";
    case repo::ConflictKind::added_by_both:
      return "added on both sides: resolve the <<<<<<< ours / ======= / >>>>>>> theirs markers";
    case repo::ConflictKind::deleted_by_ours:
      return "ours deleted it, theirs changed it: theirs' version is in place; keep it, or "
             "delete the file to keep the deletion";
    case repo::ConflictKind::deleted_by_theirs:
      return "theirs deleted it, ours changed it: ours' version is in place; keep it, or delete "
             "the file to keep the deletion";
    case repo::ConflictKind::unmergeable:
      return "binary, a link or too large to merge by lines: ours' version is in place; replace "
             "it if theirs' is the one to keep";
  }
  return "";
}

json left_out_json(const std::vector<LeftOutBranch>& left_out) {
  json out = json::array();
  for (const LeftOutBranch& l : left_out)
    out.push_back({{"agent", l.agent_id}, {"branch", l.branch}, {"reason", l.reason}});
  return out;
}

AGENTD_COROUTINE_FRAMES_BEGIN

class MergeRun {
 public:
  MergeRun(runtime::TaskContext& task, const std::map<std::string, std::string>& intents)
      : task_(task), repository_(*task.repository()), intents_(intents) {}

  asio::awaitable<RepositoryMerge> run(std::vector<AgentBranch> branches) {
    RepositoryMerge out;
    std::sort(branches.begin(), branches.end(), [](const AgentBranch& a, const AgentBranch& b) {
      return agent_id_less(a.agent_id, b.agent_id);
    });
    if (auto made = co_await make_worktree(); !made) {
      out.error = made.error().message;
      co_return out;
    }
    if (auto merged = co_await merge_all(branches, out); !merged) {
      out.error = "merging the workers' branches: " + merged.error().message;
      co_return out;
    }
    out.merged.agent_id = merger_id_;
    out.merged.branch = worktree_.branch;
    out.merged.base = repository_.base();
    out.merged.head = head_;
    task_.emit("repository.merged", merger_id_,
               {{"branch", worktree_.branch},
                {"head", head_},
                {"merged", out.merged_from},
                {"conflicts", out.conflicts},
                {"left_out", left_out_json(out.left_out)}});
    if (task_.cancel_requested()) {
      out.error = "cancelled";
      co_return out;
    }
    co_return co_await test(std::move(out));
  }

 private:
  asio::awaitable<base::Status> make_worktree() {
    merger_id_ = task_.new_agent_id("merger");
    author_ = {merger_id_ + " (agentd task " + task_.task_id + ")", merger_id_ + "@agentd.invalid"};
    auto policy = task_.policy_for_role(merge_role());
    if (!policy)
      co_return base::Error{"the merger's worktree: role " + merge_role() + " has no policy"};
    if (auto made = co_await task_.prepare_worktree(merger_id_, repository_.base(), *policy); !made)
      co_return base::Error{"the merger's worktree: " + made.error().message};
    auto worktree = repository_.worktree(merger_id_);
    if (!worktree) co_return base::Error{"the merger's worktree: none was made"};
    worktree_ = *worktree;
    head_ = repository_.base();
    co_return base::Ok{};
  }

  // Every branch merged or left out, in order; an error only when git itself failed.
  asio::awaitable<base::Status> merge_all(const std::vector<AgentBranch>& branches,
                                          RepositoryMerge& out) {
    size_t next = 0;
    while (next < branches.size() && !task_.cancel_requested()) {
      std::vector<repo::MergeSource> sources;
      for (size_t i = next; i < branches.size(); ++i)
        sources.push_back({branches[i].branch, branches[i].head});
      auto progress = co_await task_.blocking([&] {
        return repository_.locked([&](repo::Repository& r) {
          return repo::merge_branches(r, worktree_, sources, author_);
        });
      });
      if (!progress) co_return progress.error();
      for (size_t i = 0; i < progress->merged.size(); ++i)
        out.merged_from.push_back(branches[next + i].agent_id);
      next += progress->merged.size();
      head_ = progress->head;
      if (!progress->conflict) break;
      const AgentBranch& conflicted = branches[next++];
      out.conflicts.push_back(conflicted.agent_id);
      task_.emit("repository.conflict", merger_id_,
                 {{"agent", conflicted.agent_id},
                  {"branch", conflicted.branch},
                  {"files", conflicted_files(*progress->conflict)}});
      auto left_out = co_await resolve(*progress->conflict, conflicted, out.merged_from);
      if (!left_out) co_return left_out.error();
      if (*left_out)
        out.left_out.push_back({conflicted.agent_id, conflicted.branch, std::move(**left_out)});
      else
        out.merged_from.push_back(conflicted.agent_id);
    }
    co_return base::Ok{};
  }

  static std::vector<std::string> conflicted_files(const repo::MergeConflict& conflict) {
    std::vector<std::string> files;
    for (const repo::ConflictedPath& path : conflict.paths) files.push_back(path.path);
    return files;
  }

  // The merge agent on the conflict, then the conclusion: nullopt when the branch merged, or
  // why it is left out (the worktree then back at ours).
  asio::awaitable<base::Expected<std::optional<std::string>>> resolve(
      const repo::MergeConflict& conflict, const AgentBranch& theirs,
      const std::vector<std::string>& ours) {
    AgentSpec agent;
    agent.role = merge_role();
    agent.id = merger_id_;  // in the merger's worktree, where the conflict is
    agent.default_system_prompt =
        "You resolve merge conflicts in a git worktree of a repository, checked out at "
        "/workspace. Edit the conflicted files with your tools so that each keeps what both "
        "sides meant and holds no conflict marker; change nothing else.";
    agent.prompt = conflict_prompt(conflict, theirs, ours);
    AgentOutcome outcome = co_await runtime::run_agent(task_, std::move(agent));
    std::optional<std::string> why;
    if (auto invalid = runtime::invalid_reason(outcome, std::nullopt)) {
      task_.drop(outcome.id, *invalid);
      why = "the merge agent gave no valid result: " + *invalid;
    } else {
      auto concluded = co_await task_.blocking([&] {
        return repository_.locked([&](repo::Repository& r) {
          return repo::conclude_merge(
              r, worktree_, conflict, author_,
              "Merge " + theirs.branch + " (conflicts resolved by " + merger_id_ + ")");
        });
      });
      if (!concluded) co_return concluded.error();
      if (concluded->unresolved.empty()) {
        head_ = concluded->head;
        co_return std::optional<std::string>();
      }
      why = "the merge agent left conflict markers in " + join(concluded->unresolved);
    }
    auto abandoned = co_await task_.blocking([&] {
      return repository_.locked(
          [&](repo::Repository& r) { return repo::abandon_merge(r, worktree_, conflict); });
    });
    if (!abandoned) co_return abandoned.error();
    head_ = conflict.ours;
    co_return why;
  }

  std::string merge_role() const {
    for (const char* role : {"merger", "reducer"})
      if (task_.role(role)) return role;
    return "worker";
  }

  std::string intent_of(const std::string& agent_id) const {
    auto it = intents_.find(agent_id);
    return it == intents_.end()
               ? std::string("(not recorded)")
               : runtime::truncate_for_model(it->second, kMaxIntentChars, "intent");
  }

  std::string conflict_prompt(const repo::MergeConflict& conflict, const AgentBranch& theirs,
                              const std::vector<std::string>& ours) const {
    std::string prompt = "The overall task:\n" +
                         runtime::truncate_for_model(task_.spec.prompt, 4 * kMaxIntentChars) +
                         "\n\nParallel agents each changed the repository on a branch of their "
                         "own. Merging branch " +
                         theirs.branch + " (agent " + theirs.agent_id +
                         ") onto the work merged so far stopped at conflicts.\n\n\"ours\", the "
                         "work merged so far, is:";
    if (ours.empty()) prompt += " the repository as it was.";
    for (const std::string& id : ours) prompt += "\n- agent " + id + ", asked to: " + intent_of(id);
    prompt += "\n\n\"theirs\", agent " + theirs.agent_id +
              ", was asked to: " + intent_of(theirs.agent_id) +
              "\n\nConflicted files (in /workspace):";
    for (const repo::ConflictedPath& path : conflict.paths)
      prompt += "\n- " + path.path + ": " + describe(path);
    prompt +=
        "\n\nEdit each conflicted file with your tools so that it keeps what both sides meant "
        "and holds no conflict marker. Change nothing else. Then answer with a one-line summary.";
    return prompt;
  }

  static std::string join(const std::vector<std::string>& items) {
    std::string text;
    for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
    return text;
  }

  // The repository's tests on the merged head, when the spec has a test_command.
  asio::awaitable<RepositoryMerge> test(RepositoryMerge out) {
    const RepositorySpec& spec = *task_.spec.repository;
    if (spec.test_command.empty()) {
      out.succeeded = true;
      co_return out;
    }
    policy_ = task_.policy_for_role(task_.role("tester") ? "tester" : merge_role());
    if (!policy_) {
      out.error = "no policy to run the repository's tests under";
      co_return out;
    }
    auto base_run = co_await test_tree("base", repository_.base(), {});
    if (!base_run) {
      out.error = base_run.error().message;
      co_return out;
    }
    if (!base_run->error.empty()) {
      out.error = "the repository's tests could not run on the base commit: " + base_run->error;
      co_return out;
    }
    auto merged_run = co_await test_tree(merger_id_, head_, base_run->ids);
    if (!merged_run) {
      out.error = merged_run.error().message;
      co_return out;
    }
    out.tests = tests_json(*merged_run);
    const size_t failed = out.tests["failed"].size();
    if (failed == 0 && merged_run->error.empty()) {
      out.succeeded = true;
      co_return out;
    }
    out.error = "the merged tree fails " + std::to_string(failed) + " of " +
                std::to_string(merged_run->outcomes.size()) +
                " tests: " + failed_summary(*merged_run);
    co_return out;
  }

  // Runs the tests on `head`'s test tree (protected paths from the base, hidden tests laid
  // over it) in a directory of its own, removed afterwards.
  asio::awaitable<base::Expected<RepositoryTesting>> test_tree(const std::string& agent_id,
                                                               const std::string& head,
                                                               std::vector<std::string> base_ids) {
    const RepositorySpec& spec = *task_.spec.repository;
    std::vector<std::pair<std::string, std::string>> hidden;
    for (const InputFile& file : spec.hidden_tests) hidden.emplace_back(file.path, file.content);
    const auto is_protected = protected_path_matcher(spec);
    const std::filesystem::path dir = task_.workspace_path(agent_id + ".tests");
    auto tree = co_await task_.blocking([&] {
      return repository_.locked([&](repo::Repository& r) {
        return repo::make_test_tree(r, repository_.base(), head, is_protected, hidden, dir);
      });
    });
    if (!tree) co_return base::Error{"test tree of " + head + ": " + tree.error().message};
    RepositoryTesting testing =
        co_await run_repository_tests(task_, *policy_, agent_id, dir, base_ids);
    // A tree left behind is the task directory's, removed when the task is pruned.
    [[maybe_unused]] base::Status removed =
        co_await task_.blocking([&] { return tools::remove_tree(dir); });
    co_return testing;
  }

  static json tests_json(const RepositoryTesting& testing) {
    json failed = json::array();
    size_t passed = 0;
    for (const TestOutcome& t : testing.outcomes) {
      if (t.passed)
        ++passed;
      else
        failed.push_back({{"name", t.name}, {"detail", t.detail}});
    }
    return {{"passed", passed},
            {"total", testing.outcomes.size()},
            {"failed", std::move(failed)},
            {"from_report", testing.from_report},
            {"exit_code", testing.exit_code},
            {"error", testing.error},
            {"output_tail", testing.output_tail}};
  }

  static std::string failed_summary(const RepositoryTesting& testing) {
    if (!testing.error.empty()) return testing.error;
    std::vector<std::string> names;
    size_t more = 0;
    for (const TestOutcome& t : testing.outcomes) {
      if (t.passed) continue;
      if (names.size() < kMaxFailedNamesShown)
        names.push_back(t.name + (t.detail.empty() ? "" : " (" + t.detail + ")"));
      else
        ++more;
    }
    std::string text = join(names);
    if (more > 0) text += " and " + std::to_string(more) + " more";
    return runtime::truncate_for_model(text, 2000, "failures");
  }

  runtime::TaskContext& task_;
  runtime::TaskRepository& repository_;
  const std::map<std::string, std::string>& intents_;
  std::string merger_id_;
  repo::Signature author_;
  repo::Worktree worktree_;
  std::string head_;
  std::shared_ptr<const policies::Compiled> policy_;
};

}  // namespace

asio::awaitable<RepositoryMerge> merge_branches(runtime::TaskContext& task,
                                                std::vector<AgentBranch> branches,
                                                const std::map<std::string, std::string>& intents) {
  MergeRun run(task, intents);
  co_return co_await run.run(std::move(branches));
}

AGENTD_COROUTINE_FRAMES_END

}  // namespace agents::patterns
