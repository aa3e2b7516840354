#include "agents/patterns/parallel.h"

#include <algorithm>
#include <boost/asio/this_coro.hpp>

#include "agents/runtime/nursery.h"
#include "agents/runtime/truncate.h"
#include "agents/runtime/validation.h"
#include "base/coroutine_warning.h"

namespace agents::patterns {

namespace asio = boost::asio;
using runtime::AgentOutcome;
using runtime::AgentSpec;

namespace {

asio::awaitable<void> run_into(runtime::TaskContext& task, AgentSpec spec, AgentOutcome& out) {
  out = co_await runtime::run_agent(task, std::move(spec));
}

}  // namespace

asio::awaitable<std::vector<AgentOutcome>> run_agents(runtime::TaskContext& task,
                                                      std::vector<AgentSpec> specs) {
  std::vector<AgentOutcome> outcomes(specs.size());
  runtime::Nursery agents(co_await asio::this_coro::executor);
  for (size_t i = 0; i < specs.size(); ++i) {
    outcomes[i].role = specs[i].role;
    outcomes[i].status = AgentOutcome::Status::cancelled;  // until it reports
    agents.spawn(run_into(task, std::move(specs[i]), outcomes[i]));
  }
  co_await agents.join();
  co_return outcomes;
}

std::vector<AgentOutcome> keep_valid(runtime::TaskContext& task, std::vector<AgentOutcome> outcomes,
                                     const std::optional<nlohmann::json>& schema) {
  std::vector<AgentOutcome> valid;
  for (AgentOutcome& outcome : outcomes)
    if (runtime::accept_result(task, outcome, schema)) valid.push_back(std::move(outcome));
  return valid;
}

std::string with_causes(const runtime::TaskContext& task, size_t mark, std::string summary) {
  constexpr size_t kMaxShown = 3;
  std::vector<std::string> reasons;
  size_t more = 0;
  const auto& dropped = task.dropped();
  for (size_t i = mark; i < dropped.size(); ++i) {
    const std::string reason = runtime::truncate_for_model(dropped[i].reason, 400, "reason");
    if (std::find(reasons.begin(), reasons.end(), reason) != reasons.end()) continue;
    if (reasons.size() < kMaxShown)
      reasons.push_back(reason);
    else
      ++more;
  }
  for (size_t i = 0; i < reasons.size(); ++i) summary += (i ? "; " : ": ") + reasons[i];
  if (more > 0) summary += "; and " + std::to_string(more) + " more (see dropped)";
  return summary;
}

std::string list_answers(const std::vector<AgentOutcome>& outcomes, const std::string& label,
                         size_t max_chars_each) {
  std::string text;
  for (size_t i = 0; i < outcomes.size(); ++i)
    text += label + " " + std::to_string(i + 1) + " (agent " + outcomes[i].id + "):\n" +
            runtime::truncate_for_model(outcomes[i].answer_text(), max_chars_each, "answer") +
            "\n\n";
  return text;
}

AGENTD_COROUTINE_FRAMES_BEGIN

asio::awaitable<std::optional<size_t>> ask_judge(runtime::TaskContext& task,
                                                 const std::string& what, const std::string& label,
                                                 const std::vector<std::string>& entries) {
  AgentSpec judge;
  judge.role = "judge";
  judge.default_system_prompt = "You choose the best of several " + what + " for a task.";
  judge.prompt = "Task:\n" + task.spec.prompt + "\n\nThese " + what + " pass the same tests:\n\n";
  for (size_t i = 0; i < entries.size(); ++i)
    judge.prompt += label + " " + std::to_string(i + 1) + ":\n" + entries[i] + "\n\n";
  judge.prompt += "Answer with {\"choice\": <the number of the best one>}.";
  judge.answer_schema = nlohmann::json{
      {"type", "object"},
      {"properties",
       {{"choice", {{"type", "integer"}, {"minimum", 1}, {"maximum", entries.size()}}}}},
      {"required", {"choice"}}};
  judge.tools_enabled = false;
  const nlohmann::json schema = *judge.answer_schema;
  AgentOutcome outcome = co_await runtime::run_agent(task, std::move(judge));
  if (!runtime::accept_result(task, outcome, schema)) co_return std::nullopt;
  co_return outcome.answer["choice"].get<size_t>() - 1;
}

AGENTD_COROUTINE_FRAMES_END

}  // namespace agents::patterns
