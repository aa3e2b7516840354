// agents::llm::Client under concurrency, against the scripted LLM server: the AIMD limit
// shrinking on 429 and recovering, cancellation reaching the request in flight (and the
// waits for a slot), hundreds of chats on one thread, and usage totals that stay exact.
#include <gtest/gtest.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "agents/llm/client.h"
#include "tests/fixtures/scripted_llm/chat_fixture.h"

namespace agents::llm {
namespace {

namespace asio = boost::asio;
using agents::testing::ChatResult;
using agents::testing::run_until;
using nlohmann::json;

int thread_count() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("Threads:")) return std::stoi(line.substr(8));
  }
  return -1;
}

// Records the model's concurrency limit each time a retry is announced.
class LimitProbe : public EventSink {
 public:
  void emit(Event event) override {
    if (event.type == "llm.retry") limits.push_back(client->concurrency_limit("test"));
  }
  Client* client = nullptr;
  std::vector<uint32_t> limits;
};

class LlmConcurrencyTest : public agents::testing::ScriptedLlmTest {};

TEST_F(LlmConcurrencyTest, LimitHalvesOn429AndGrowsBackByOnePerSuccess) {
  load(json::parse(R"({"latency_ms": 20, "roles": {"worker": {
      "steps": [{"fault": "429", "retry_after": 0, "repeat": 3}],
      "default": {"text": "fine"}}}})"));
  ModelConfig config = model();
  config.max_concurrency = 8;
  LimitProbe probe;
  auto client = make_client({config}, quick_retries(&probe));
  probe.client = client.get();
  ASSERT_EQ(client->concurrency_limit("test"), 8u);

  const auto first = chat(*client, request("test", "worker", "hi"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->attempts, 4u);
  EXPECT_EQ(probe.limits, (std::vector<uint32_t>{4, 2, 1}));
  EXPECT_EQ(client->concurrency_limit("test"), 2u);  // 1, then one success

  // 12 chats at once: the limit starts at 2, so the server first sees at most 2 of them; each
  // success adds one, up to the configured 8.
  std::vector<ChatResult> results(12);
  for (auto& result : results) start_chat(*client, request("test", "worker", "hi"), result);
  ASSERT_TRUE(run_until(io_, [&] {
    for (const auto& result : results) {
      if (!result) return false;
    }
    return true;
  }));
  for (const auto& result : results) EXPECT_TRUE(result->ok()) << result->error().message;
  EXPECT_EQ(client->concurrency_limit("test"), 8u);
  EXPECT_EQ(client->in_flight("test"), 0u);
  const auto stats = server_->stats();
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_LE((*stats)["requests_in_flight_peak"].get<int>(), 8);
}

TEST_F(LlmConcurrencyTest, SlotsAreNeverExceeded) {
  load({{"latency_ms", 100}, {"default", {{"text", "x"}}}});
  ModelConfig config = model();
  config.max_concurrency = 3;
  auto client = make_client({config}, quick_retries());
  std::vector<ChatResult> results(10);
  for (auto& result : results) start_chat(*client, request("test", "worker", "hi"), result);
  uint32_t most = 0;
  ASSERT_TRUE(run_until(io_, [&] {
    most = std::max(most, client->in_flight("test"));
    for (const auto& result : results) {
      if (!result) return false;
    }
    return true;
  }));
  for (const auto& result : results) EXPECT_TRUE(result->ok());
  EXPECT_EQ(most, 3u);
  const auto stats = server_->stats();
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_LE((*stats)["requests_in_flight_peak"].get<int>(), 3);
}

TEST_F(LlmConcurrencyTest, CancellationAbortsTheRequestInFlight) {
  load({{"default", {{"fault", "hang"}}}});
  auto client = make_client({model()}, quick_retries());
  asio::cancellation_signal cancel;
  ChatResult result;
  start_chat(*client, request("test", "worker", "hi"), result, cancel.slot());
  ASSERT_TRUE(run_until(io_, [&] { return http_.in_flight() == 1 && requests().size() == 1; }));
  const auto cancelled_at = std::chrono::steady_clock::now();
  cancel.emit(asio::cancellation_type::terminal);
  ASSERT_TRUE(run_until(io_, [&] { return result.has_value(); }));
  // Generous bound: only a hang or a wait for the 20 s timeout would pass it.
  EXPECT_LT(std::chrono::steady_clock::now() - cancelled_at, std::chrono::seconds(5));
  ASSERT_FALSE(result->ok());
  EXPECT_NE(result->error().message.find("cancelled"), std::string::npos);
  EXPECT_EQ(http_.in_flight(), 0u);
  EXPECT_EQ(client->in_flight("test"), 0u);
  // The server sees the connection go away.
  EXPECT_TRUE(run_until(io_, [&] { return requests()[0].value("client_closed", false); }));
}

TEST_F(LlmConcurrencyTest, AwaitableOperatorsCancelTheLoser) {
  using namespace asio::experimental::awaitable_operators;
  load({{"default", {{"fault", "hang"}}}});
  auto client = make_client({model()}, quick_retries());
  std::optional<bool> chat_won;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer deadline(io_, std::chrono::milliseconds(300));
        // co_spawn (under the operators) needs a default-constructible result: a bool here.
        auto chat_ok = [&]() -> asio::awaitable<bool> {
          co_return (co_await client->chat(request("test", "worker", "hi"))).ok();
        };
        auto winner = co_await (chat_ok() || deadline.async_wait(asio::use_awaitable));
        chat_won = winner.index() == 0;
      },
      asio::detached);
  ASSERT_TRUE(run_until(io_, [&] { return chat_won.has_value(); }));
  EXPECT_FALSE(*chat_won);
  EXPECT_EQ(http_.in_flight(), 0u);
  EXPECT_EQ(client->in_flight("test"), 0u);
}

TEST_F(LlmConcurrencyTest, CancellationEndsWaitsForASlotAndForABackoff) {
  load(json::parse(R"({"roles": {"worker": {"default": {"fault": "hang"}},
                                 "limited": {"default": {"fault": "429", "retry_after": 30}}}})"));
  ModelConfig config = model();
  config.max_concurrency = 1;
  auto client = make_client({config}, quick_retries());
  asio::cancellation_signal cancel_holder;
  asio::cancellation_signal cancel_waiter;
  ChatResult holder;
  ChatResult waiter;
  start_chat(*client, request("test", "worker", "first"), holder, cancel_holder.slot());
  start_chat(*client, request("test", "worker", "second"), waiter, cancel_waiter.slot());
  ASSERT_TRUE(run_until(io_, [&] { return http_.in_flight() == 1; }));
  io_.poll();
  EXPECT_FALSE(waiter.has_value());
  cancel_waiter.emit(asio::cancellation_type::terminal);
  ASSERT_TRUE(run_until(io_, [&] { return waiter.has_value(); }));
  EXPECT_FALSE(waiter->ok());
  EXPECT_FALSE(holder.has_value());  // still in flight, untouched
  EXPECT_EQ(requests().size(), 1u);  // the waiter never reached the server
  cancel_holder.emit(asio::cancellation_type::terminal);
  ASSERT_TRUE(run_until(io_, [&] { return holder.has_value(); }));

  // A 429 asking for 30 s: the chat sleeps in its backoff until cancelled.
  asio::cancellation_signal cancel_backoff;
  ChatResult backing_off;
  start_chat(*client, request("test", "limited", "hi"), backing_off, cancel_backoff.slot());
  ASSERT_TRUE(run_until(io_, [&] { return requests().size() == 2 && http_.in_flight() == 0; }));
  cancel_backoff.emit(asio::cancellation_type::terminal);
  ASSERT_TRUE(run_until(
      io_, [&] { return backing_off.has_value(); }, std::chrono::seconds(10)));
  ASSERT_FALSE(backing_off->ok());
  EXPECT_NE(backing_off->error().message.find("cancelled"), std::string::npos);
}

TEST_F(LlmConcurrencyTest, ThreeHundredConcurrentChatsOnOneThread) {
  // A long latency, so the requests overlap at the server even on a loaded machine.
  load(json::parse(R"({"latency_ms": 500, "default": {"text": "answer {{n}}"}})"));
  ModelConfig config = model();
  config.max_concurrency = 300;
  auto client = make_client({config}, quick_retries());
  const int threads_before = thread_count();
  std::vector<ChatResult> results(300);
  for (std::size_t i = 0; i < results.size(); ++i) {
    start_chat(*client, request("test", "worker", "question " + std::to_string(i)), results[i]);
  }
  ASSERT_TRUE(run_until(
      io_,
      [&] {
        for (const auto& result : results) {
          if (!result) return false;
        }
        return true;
      },
      std::chrono::seconds(120)));
  std::set<std::string> answers;
  for (const auto& result : results) {
    ASSERT_TRUE(result->ok()) << result->error().message;
    answers.insert((*result)->message.content);
  }
  EXPECT_EQ(answers.size(), 300u);  // each chat got its own answer
  EXPECT_EQ(thread_count(), threads_before);
  EXPECT_EQ(client->usage().total().requests, 300u);
  const auto stats = server_->stats();
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  // They were in flight together, not one after another.
  EXPECT_GE((*stats)["requests_in_flight_peak"].get<int>(), 100);
}

TEST_F(LlmConcurrencyTest, UsageTotalsAreExactAcrossConcurrentAgents) {
  load(json::parse(R"({"latency_ms": 10, "usage": {"cached_tokens": 2, "reasoning_tokens": 1},
      "roles": {"worker": {"steps": [{"fault": "500", "repeat": 5}],
                           "default": {"text": "result for {{last_user}}"}}}})"));
  ModelConfig strong = model("strong");
  strong.usd_per_million_input = 3;
  strong.usd_per_million_output = 15;
  ModelConfig cheap = model("cheap");
  cheap.usd_per_million_input = 0.1;
  cheap.usd_per_million_output = 0.4;
  // Five 500s in a row on one model would open its breaker (llm_breaker_test.cc covers it).
  strong.breaker.failures = cheap.breaker.failures = 0;
  auto client = make_client({strong, cheap}, quick_retries());
  std::vector<ChatResult> results;
  results.reserve(60);
  for (int task = 0; task < 3; ++task) {
    for (int agent = 0; agent < 10; ++agent) {
      for (int turn = 0; turn < 2; ++turn) {
        ChatRequest chat =
            request(agent % 2 ? "cheap" : "strong", "worker",
                    "t" + std::to_string(task) + " a" + std::to_string(agent) +
                        std::string(static_cast<std::size_t>(agent * 7 + turn), 'x'));
        chat.task_id = "t" + std::to_string(task);
        chat.agent_id = "a" + std::to_string(agent);
        start_chat(*client, chat, results.emplace_back());
      }
    }
  }
  ASSERT_TRUE(run_until(io_, [&] {
    for (const auto& result : results) {
      if (!result) return false;
    }
    return true;
  }));
  for (const auto& result : results) ASSERT_TRUE(result->ok()) << result->error().message;

  // Expected totals from what the server reports having answered (status 200 only).
  std::map<std::string, Usage> by_task;
  std::map<std::pair<std::string, std::string>, Usage> by_agent;
  std::map<std::string, Usage> by_model;
  Usage total;
  const json log = requests();
  EXPECT_EQ(log.size(), 65u);  // 60 answers and 5 failed attempts
  for (const auto& entry : log) {
    if (entry.value("status", 0) != 200) continue;
    const std::string user = entry["last_user"];
    const std::string task = user.substr(0, user.find(' '));
    const std::string agent = user.substr(user.find(' ') + 1, user.find('x') - user.find(' ') - 1);
    const bool is_cheap = std::stoi(agent.substr(1)) % 2 == 1;
    const ModelConfig& config = is_cheap ? cheap : strong;
    Usage usage;
    usage.prompt_tokens = entry["usage"]["prompt_tokens"];
    usage.completion_tokens = entry["usage"]["completion_tokens"];
    usage.cached_tokens = entry["usage"]["prompt_tokens_details"]["cached_tokens"];
    usage.reasoning_tokens = entry["usage"]["completion_tokens_details"]["reasoning_tokens"];
    usage.cost_usd = cost_of(usage, config);
    usage.requests = 1;
    by_task[task] += usage;
    by_agent[{task, agent}] += usage;
    by_model[config.name] += usage;
    total += usage;
  }
  auto same = [](const Usage& a, const Usage& b) {
    EXPECT_EQ(a.prompt_tokens, b.prompt_tokens);
    EXPECT_EQ(a.completion_tokens, b.completion_tokens);
    EXPECT_EQ(a.cached_tokens, b.cached_tokens);
    EXPECT_EQ(a.reasoning_tokens, b.reasoning_tokens);
    EXPECT_EQ(a.requests, b.requests);
    EXPECT_NEAR(a.cost_usd, b.cost_usd, 1e-12);
  };
  const UsageLedger& ledger = client->usage();
  same(ledger.total(), total);
  EXPECT_EQ(ledger.total().requests, 60u);
  EXPECT_EQ(ledger.total().cached_tokens, 120u);
  for (const auto& [task, usage] : by_task) same(ledger.for_task(task), usage);
  for (const auto& [key, usage] : by_agent) same(ledger.for_agent(key.first, key.second), usage);
  for (const auto& [name, usage] : by_model) same(ledger.for_model(name), usage);
  EXPECT_EQ(by_agent.size(), 30u);
}

}  // namespace
}  // namespace agents::llm
