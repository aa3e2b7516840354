// Usage arithmetic, cost, and the ledger's totals under concurrent recording.
#include "agents/llm/usage.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace agents::llm {
namespace {

TEST(UsageTest, AddsEveryField) {
  Usage a{.prompt_tokens = 1,
          .completion_tokens = 2,
          .cached_tokens = 3,
          .reasoning_tokens = 4,
          .cost_usd = 0.5,
          .requests = 1};
  a += Usage{.prompt_tokens = 10,
             .completion_tokens = 20,
             .cached_tokens = 30,
             .reasoning_tokens = 40,
             .cost_usd = 0.25,
             .requests = 2};
  EXPECT_EQ(a.prompt_tokens, 11u);
  EXPECT_EQ(a.completion_tokens, 22u);
  EXPECT_EQ(a.cached_tokens, 33u);
  EXPECT_EQ(a.reasoning_tokens, 44u);
  EXPECT_DOUBLE_EQ(a.cost_usd, 0.75);
  EXPECT_EQ(a.requests, 3u);
  EXPECT_EQ(a.total_tokens(), 33u);
}

TEST(UsageTest, CostUsesThePricesPerMillion) {
  ModelConfig model;
  model.usd_per_million_input = 3;
  model.usd_per_million_output = 15;
  Usage usage;
  usage.prompt_tokens = 2'000'000;
  usage.completion_tokens = 100'000;
  usage.cached_tokens = 1'000'000;  // part of the prompt tokens, not billed twice
  EXPECT_DOUBLE_EQ(cost_of(usage, model), 6 + 1.5);
}

TEST(UsageLedgerTest, TotalsPerTaskAgentAndModelAreExactUnderThreads) {
  UsageLedger ledger;
  Usage one;
  one.prompt_tokens = 3;
  one.completion_tokens = 2;
  one.requests = 1;
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&ledger, &one, t] {
      for (int i = 0; i < 1000; ++i) {
        ledger.record("task" + std::to_string(t % 2), "agent" + std::to_string(i % 5),
                      i % 2 ? "cheap" : "strong", one);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ledger.total().requests, 4000u);
  EXPECT_EQ(ledger.total().prompt_tokens, 12000u);
  EXPECT_EQ(ledger.for_task("task0").requests, 2000u);
  EXPECT_EQ(ledger.for_agent("task1", "agent3").requests, 400u);
  EXPECT_EQ(ledger.for_model("cheap").completion_tokens, 4000u);
  EXPECT_EQ(ledger.for_task("nope").requests, 0u);
  EXPECT_EQ(ledger.for_agent("task0", "nope").requests, 0u);
}

}  // namespace
}  // namespace agents::llm
