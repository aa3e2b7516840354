// The runtime's concurrency pieces on a plain io_context: Nursery (join, next, cancelling
// children, cancellation from above), TokenQueue (FIFO handover, a waiter cancelled in line)
// and FeedbackBox (targeted and broadcast messages).
#include "agents/runtime/nursery.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agents/runtime/feedback.h"
#include "agents/runtime/token_queue.h"
#include "tests/agents/run_until.h"

namespace agents::runtime {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Sleeps `delay`, then records `label`; records "<label> cancelled" when cancelled.
asio::awaitable<void> sleeper(std::chrono::milliseconds delay, std::string label,
                              std::vector<std::string>& log) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  try {
    co_await timer.async_wait(asio::use_awaitable);
  } catch (const boost::system::system_error&) {
    log.push_back(label + " cancelled");
    throw;
  }
  log.push_back(label);
}

asio::awaitable<void> failing() {
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  throw std::runtime_error("child failed");
}

TEST(Nursery, JoinWaitsForEveryChild) {
  asio::io_context io;
  std::vector<std::string> log;
  bool joined = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        Nursery nursery(io.get_executor());
        nursery.spawn(sleeper(30ms, "slow", log));
        nursery.spawn(sleeper(1ms, "fast", log));
        EXPECT_EQ(nursery.running(), 2u);
        co_await nursery.join();
        EXPECT_EQ(nursery.running(), 0u);
        joined = true;
      },
      asio::detached);
  ASSERT_TRUE(agents::testing::run_until(io, [&] { return joined; }));
  EXPECT_EQ(log, (std::vector<std::string>{"fast", "slow"}));
}

TEST(Nursery, NextReportsEachCompletionAndCancelStopsTheRest) {
  asio::io_context io;
  std::vector<std::string> log;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        Nursery nursery(io.get_executor());
        nursery.spawn(sleeper(1ms, "first", log));
        const uint64_t second = nursery.spawn(sleeper(10s, "second", log));
        nursery.spawn(sleeper(10s, "third", log));
        co_await nursery.next();
        EXPECT_EQ(log, std::vector<std::string>{"first"});
        nursery.cancel(second);
        co_await nursery.next();
        EXPECT_EQ(nursery.running(), 1u);
        nursery.cancel();
        co_await nursery.join();
        // Spawned after cancel(): cancelled at once.
        nursery.spawn(sleeper(10s, "late", log));
        co_await nursery.join();
        done = true;
      },
      asio::detached);
  ASSERT_TRUE(agents::testing::run_until(io, [&] { return done; }));
  EXPECT_EQ(log, (std::vector<std::string>{"first", "second cancelled", "third cancelled",
                                           "late cancelled"}));
}

TEST(Nursery, CancellingTheJoinerCancelsTheChildrenFirst) {
  asio::io_context io;
  std::vector<std::string> log;
  std::string outcome;
  asio::cancellation_signal signal;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        Nursery nursery(io.get_executor());
        nursery.spawn(sleeper(10s, "a", log));
        nursery.spawn(sleeper(10s, "b", log));
        try {
          co_await nursery.join();
          outcome = "joined";
        } catch (const boost::system::system_error& e) {
          outcome = e.code() == asio::error::operation_aborted ? "aborted" : e.what();
          EXPECT_EQ(nursery.running(), 0u);  // no child outlives the scope
        }
      },
      asio::bind_cancellation_slot(signal.slot(), asio::detached));
  io.poll();
  signal.emit(asio::cancellation_type::terminal);
  ASSERT_TRUE(agents::testing::run_until(io, [&] { return !outcome.empty(); }));
  EXPECT_EQ(outcome, "aborted");
  EXPECT_EQ(log, (std::vector<std::string>{"a cancelled", "b cancelled"}));
}

TEST(Nursery, AChildsExceptionIsRethrownByJoin) {
  asio::io_context io;
  std::string outcome;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        Nursery nursery(io.get_executor());
        nursery.spawn(failing());
        try {
          co_await nursery.join();
          outcome = "joined";
        } catch (const std::runtime_error& e) {
          outcome = e.what();
        }
      },
      asio::detached);
  ASSERT_TRUE(agents::testing::run_until(io, [&] { return !outcome.empty(); }));
  EXPECT_EQ(outcome, "child failed");
}

struct Reported {
  std::string type, agent;
  nlohmann::json data;
};

asio::awaitable<void> use_token(TokenQueue& queue, std::string agent,
                                std::chrono::milliseconds hold, std::vector<std::string>& order) {
  TokenQueue::Hold token = co_await queue.acquire(agent);
  order.push_back(agent);
  asio::steady_timer timer(co_await asio::this_coro::executor, hold);
  co_await timer.async_wait(asio::use_awaitable);
}

TEST(TokenQueue, HandsTheTokenOverInFifoOrderWithAnEventEachTime) {
  asio::io_context io;
  std::vector<Reported> reports;
  TokenQueue queue(io.get_executor(), "scratch",
                   [&](const std::string& type, const std::string& agent, nlohmann::json data) {
                     reports.push_back({type, agent, std::move(data)});
                   });
  std::vector<std::string> order;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        Nursery users(io.get_executor());
        for (const char* agent : {"a", "b", "c", "d"})
          users.spawn(use_token(queue, agent, 5ms, order));
        co_await users.join();
        done = true;
      },
      asio::detached);
  ASSERT_TRUE(agents::testing::run_until(io, [&] { return done; }));
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c", "d"}));
  std::vector<std::string> handovers;
  for (const Reported& r : reports)
    if (r.type == "token.handover")
      handovers.push_back(r.data["from"].get<std::string>() + ">" +
                          r.data["to"].get<std::string>());
  EXPECT_EQ(handovers, (std::vector<std::string>{"a>b", "b>c", "c>d"}));
  EXPECT_EQ(reports.front().type, "token.acquired");
  EXPECT_EQ(reports.back().type, "token.released");
  EXPECT_EQ(queue.holder(), "");
}

TEST(TokenQueue, AWaiterCancelledInLineLeavesTheQueue) {
  asio::io_context io;
  std::vector<std::string> types;
  TokenQueue queue(io.get_executor(), "gpu",
                   [&](const std::string& type, const std::string&, const nlohmann::json&) {
                     types.push_back(type);
                   });
  std::vector<std::string> order;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        Nursery users(io.get_executor());
        users.spawn(use_token(queue, "holder", 20ms, order));
        const uint64_t quitter = users.spawn(use_token(queue, "quitter", 0ms, order));
        users.spawn(use_token(queue, "patient", 0ms, order));
        co_await asio::post(io.get_executor(), asio::use_awaitable);
        EXPECT_EQ(queue.waiting(), 2u);
        users.cancel(quitter);
        co_await users.join();
        done = true;
      },
      asio::detached);
  ASSERT_TRUE(agents::testing::run_until(io, [&] { return done; }));
  EXPECT_EQ(order, (std::vector<std::string>{"holder", "patient"}));
  EXPECT_EQ(queue.waiting(), 0u);
}

TEST(FeedbackBox, TargetedAndBroadcastMessages) {
  FeedbackBox box;
  EXPECT_FALSE(box.post("worker-1", "too early"));  // not running yet
  EXPECT_TRUE(box.post("*", "be brief"));
  box.agent_started("worker-1");
  EXPECT_TRUE(box.post("worker-1", "use metric units"));
  EXPECT_EQ(box.take("worker-1"), (std::vector<std::string>{"be brief", "use metric units"}));
  EXPECT_TRUE(box.take("worker-1").empty());
  box.agent_started("worker-2");
  EXPECT_TRUE(box.post("*", "stop soon"));
  EXPECT_EQ(box.take("worker-1"), std::vector<std::string>{"stop soon"});
  EXPECT_EQ(box.take("worker-2"), (std::vector<std::string>{"be brief", "stop soon"}));
  box.agent_finished("worker-1");
  EXPECT_FALSE(box.post("worker-1", "gone"));
  EXPECT_TRUE(box.post("worker-2", std::string(100'000, 'x')));
  EXPECT_EQ(box.take("worker-2")[0].size(), FeedbackBox::kMaxMessageBytes);
}

}  // namespace
}  // namespace agents::runtime
