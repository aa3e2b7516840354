// vote (self-consistency, decentralised consensus): N voters answer independently; in each
// optional debate round every voter sees its peers' answers and may revise its own; then the
// valid answers are normalised and counted (vote_tally.h). A tie goes to the judge when the
// task asks for one, otherwise it is reported as a tie.
#include <map>
#include <optional>

#include "agents/patterns/parallel.h"
#include "agents/patterns/pattern.h"
#include "agents/patterns/vote_tally.h"
#include "agents/runtime/truncate.h"
#include "agents/runtime/validation.h"

namespace agents::patterns {

namespace asio = boost::asio;
using nlohmann::json;
using runtime::AgentOutcome;
using runtime::AgentSpec;

namespace {

AgentSpec voter(const runtime::TaskContext& task, size_t index, uint32_t round,
                std::string prompt) {
  AgentSpec spec;
  spec.role = "voter";
  spec.id = "voter-" + std::to_string(index + 1) + (round ? ".r" + std::to_string(round) : "");
  spec.default_system_prompt = "You answer the question on your own, concisely.";
  spec.prompt = std::move(prompt);
  spec.answer_schema = task.spec.output_schema;
  return spec;
}

constexpr size_t kMaxShownChars = 2000;  // of each answer shown in a debate, or to the judge

// What each voter of the last round shows the others: its answer, cut, when it would count
// as a vote; nothing otherwise (outside the policy or the schema, or with no vote in it), so
// that such an answer cannot sway answers that count. Worked out once per round: an answer
// can be megabytes, and there are n × (n - 1) showings.
std::vector<std::optional<std::string>> shown_in_debate(const runtime::TaskContext& task,
                                                        const std::vector<AgentOutcome>& last) {
  std::vector<std::optional<std::string>> shown(last.size());
  for (size_t i = 0; i < last.size(); ++i)
    if (!runtime::invalid_reason(last[i], task.spec.output_schema) &&
        normalize_vote(last[i].answer, task.spec.vote.normalization).ok())
      shown[i] = runtime::truncate_for_model(last[i].answer_text(), kMaxShownChars);
  return shown;
}

std::string debate_prompt(const runtime::TaskContext& task, const AgentOutcome& own,
                          const std::vector<std::optional<std::string>>& shown, size_t self) {
  std::string prompt =
      task.spec.prompt + "\n\nYour previous answer:\n" +
      (own.answered() ? runtime::truncate_for_model(own.answer_text(), kMaxShownChars) : "(none)") +
      "\n\nOther agents answered:\n";
  for (size_t i = 0; i < shown.size(); ++i)
    if (i != self && shown[i]) prompt += "- " + *shown[i] + "\n";
  return prompt + "\nConsider their reasoning and give your final answer.";
}

asio::awaitable<std::optional<std::string>> judge_tie(runtime::TaskContext& task,
                                                      const std::vector<std::string>& tied) {
  AgentSpec judge;
  judge.role = "judge";
  judge.default_system_prompt = "You settle a tie between answers.";
  judge.prompt = "Question:\n" + task.spec.prompt + "\n\nThe votes tie between these answers:\n";
  for (size_t i = 0; i < tied.size(); ++i)
    judge.prompt +=
        std::to_string(i + 1) + ". " + runtime::truncate_for_model(tied[i], kMaxShownChars) + "\n";
  judge.prompt += "\nAnswer with {\"choice\": <number of the best answer>}.";
  judge.answer_schema = json{
      {"type", "object"},
      {"properties", {{"choice", {{"type", "integer"}, {"minimum", 1}, {"maximum", tied.size()}}}}},
      {"required", {"choice"}}};
  judge.tools_enabled = false;
  const json schema = *judge.answer_schema;
  AgentOutcome outcome = co_await runtime::run_agent(task, std::move(judge));
  if (!runtime::accept_result(task, outcome, schema)) co_return std::nullopt;
  co_return tied[outcome.answer["choice"].get<size_t>() - 1];
}

}  // namespace

asio::awaitable<PatternResult> vote(runtime::TaskContext& task) {
  const VoteOptions& options = task.spec.vote;
  PatternResult result;
  const size_t mark = task.dropped().size();
  std::vector<AgentSpec> voters;
  for (size_t i = 0; i < options.n; ++i) voters.push_back(voter(task, i, 0, task.spec.prompt));
  std::vector<AgentOutcome> answers = co_await run_agents(task, std::move(voters));
  for (uint32_t round = 1; round <= options.debate_rounds; ++round) {
    task.emit("vote.debate", {}, {{"round", round}});
    const auto shown = shown_in_debate(task, answers);
    std::vector<AgentSpec> revisers;
    for (size_t i = 0; i < answers.size(); ++i)
      revisers.push_back(voter(task, i, round, debate_prompt(task, answers[i], shown, i)));
    answers = co_await run_agents(task, std::move(revisers));
  }

  // Validation first: dropped answers do not vote, nor do answers that cast none (reported
  // as dropped, with why). The first original answer of each normalised form (in voter order)
  // stands for it.
  std::vector<std::string> votes;
  std::map<std::string, json> originals;
  for (const AgentOutcome& outcome : answers) {
    if (!runtime::accept_result(task, outcome, task.spec.output_schema)) continue;
    auto normalized = normalize_vote(outcome.answer, options.normalization);
    if (!normalized) {
      task.drop(outcome.id, "vote: " + normalized.error().message);
      continue;
    }
    task.emit("vote.cast", outcome.id, {{"vote", runtime::truncate_for_model(*normalized, 200)}});
    originals.try_emplace(*normalized, outcome.answer);
    votes.push_back(std::move(*normalized));
  }
  VoteDecision decision = decide_vote(votes, options.n, options.quorum);
  json counts = json::array();
  for (const auto& [answer, count] : decision.counts)
    counts.push_back({{"answer", runtime::truncate_for_model(answer, 200)}, {"votes", count}});
  result.details = {
      {"voters", options.n}, {"valid_votes", decision.valid_votes}, {"counts", counts}};
  using Kind = VoteDecision::Kind;
  std::string winner = decision.winner;
  if (decision.kind == Kind::tie && options.ties_to_judge) {
    auto chosen = co_await judge_tie(task, decision.tied);
    if (chosen) winner = *chosen;
    result.details["tie_judged"] = chosen.has_value();
  }
  const char* outcome = winner.empty() ? (decision.kind == Kind::tie         ? "tie"
                                          : decision.kind == Kind::no_quorum ? "no_quorum"
                                                                             : "no_votes")
                                       : "winner";
  task.emit("vote.result", {},
            {{"outcome", outcome},
             {"votes", decision.winner_votes},
             {"valid", decision.valid_votes},
             {"voters", options.n}});
  result.details["outcome"] = outcome;
  if (winner.empty()) {
    result.error = decision.kind == Kind::tie
                       ? "tie between " + std::to_string(decision.tied.size()) + " answers"
                   : decision.kind == Kind::no_quorum
                       ? "no quorum: the most common answer has " +
                             std::to_string(decision.winner_votes) + " of " +
                             std::to_string(options.n) + " votes"
                       : "no valid votes";
    result.error = with_causes(task, mark, std::move(result.error));
    if (decision.kind == Kind::tie) result.details["tied"] = decision.tied;
    co_return result;
  }
  // The answer is a voter's own text (the first of the winning form, in voter order), as the
  // normalised form may have lost its case, units or wording; the tallied form is beside it.
  result.succeeded = true;
  result.details["winner"] = winner;
  result.answer = originals.at(winner);
  co_return result;
}

}  // namespace agents::patterns
