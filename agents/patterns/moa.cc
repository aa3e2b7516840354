// moa (mixture of agents): layers of proposers, each proposer of a layer seeing the valid
// answers of the layer before; an aggregator then writes the answer from the last layer's.
#include "agents/patterns/parallel.h"
#include "agents/patterns/pattern.h"
#include "agents/runtime/validation.h"

namespace agents::patterns {

namespace asio = boost::asio;
using runtime::AgentOutcome;
using runtime::AgentSpec;

asio::awaitable<PatternResult> moa(runtime::TaskContext& task) {
  const MoaOptions& options = task.spec.moa;
  PatternResult result;
  const size_t mark = task.dropped().size();
  std::vector<AgentOutcome> previous;
  nlohmann::json layers = nlohmann::json::array();
  for (uint32_t layer = 1; layer <= options.layers; ++layer) {
    std::string prompt = task.spec.prompt;
    if (!previous.empty())
      prompt += "\n\nAnswers from other agents (use what is right in them, fix what is not):\n\n" +
                list_answers(previous, "Answer");
    std::vector<AgentSpec> proposers(options.proposers);
    for (size_t i = 0; i < proposers.size(); ++i) {
      proposers[i].role = "proposer";
      proposers[i].id = "proposer-" + std::to_string(layer) + "." + std::to_string(i + 1);
      proposers[i].default_system_prompt = "You answer the task as well as you can.";
      proposers[i].prompt = prompt;
    }
    task.emit("moa.layer", {}, {{"layer", layer}, {"proposers", proposers.size()}});
    std::vector<AgentOutcome> valid =
        keep_valid(task, co_await run_agents(task, std::move(proposers)));
    layers.push_back({{"layer", layer}, {"valid", valid.size()}});
    // A layer without a valid answer leaves the previous layer's answers standing.
    if (!valid.empty()) previous = std::move(valid);
  }
  result.details = {{"layers", layers}};
  if (previous.empty()) {
    result.error = with_causes(task, mark, "no proposer gave a valid answer");
    co_return result;
  }
  AgentSpec aggregator;
  aggregator.role = "aggregator";
  aggregator.default_system_prompt = "You synthesise several answers into one better answer.";
  aggregator.prompt =
      task.spec.prompt + "\n\nAnswers to synthesise:\n\n" + list_answers(previous, "Answer");
  aggregator.answer_schema = task.spec.output_schema;
  aggregator.tools_enabled = false;
  const size_t aggregator_mark = task.dropped().size();
  AgentOutcome merged = co_await runtime::run_agent(task, std::move(aggregator));
  if (!runtime::accept_result(task, merged, task.spec.output_schema)) {
    result.error = with_causes(task, aggregator_mark, "the aggregator gave no valid answer");
    co_return result;
  }
  result.succeeded = true;
  result.answer = std::move(merged.answer);
  co_return result;
}

}  // namespace agents::patterns
