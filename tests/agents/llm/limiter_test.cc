// The AIMD limiter on its own: FIFO grants, halving, growth, cancelled waiters.
#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <vector>

#include "agents/llm/concurrency.h"

namespace agents::llm {
namespace {

namespace asio = boost::asio;

class LimiterTest : public ::testing::Test {
 protected:
  // Starts a coroutine that takes a slot and keeps it in permits[index] (empty if cancelled).
  void take(std::size_t index, asio::cancellation_slot slot = {}) {
    asio::co_spawn(
        io_,
        [this, index]() -> asio::awaitable<void> {
          Permit permit = co_await limiter_.acquire();
          granted_.push_back(index);
          permits_[index] = std::move(permit);
        },
        asio::bind_cancellation_slot(slot, asio::detached));
  }

  asio::io_context io_;
  AimdLimiter limiter_{io_.get_executor(), 4};
  std::vector<std::size_t> granted_;
  std::vector<Permit> permits_ = std::vector<Permit>(10);
};

TEST_F(LimiterTest, GrantsInFifoOrderWithinTheLimit) {
  for (std::size_t i = 0; i < 6; ++i) take(i);
  io_.poll();
  EXPECT_EQ(granted_, (std::vector<std::size_t>{0, 1, 2, 3}));
  EXPECT_EQ(limiter_.in_use(), 4u);
  EXPECT_EQ(limiter_.waiting(), 2u);
  permits_[2].reset();
  io_.poll();
  EXPECT_EQ(granted_.back(), 4u);
  permits_[0].reset();
  io_.poll();
  EXPECT_EQ(granted_.back(), 5u);
  EXPECT_EQ(limiter_.waiting(), 0u);
}

TEST_F(LimiterTest, OverloadHalvesAndSuccessGrowsByOneUpToTheMaximum) {
  limiter_.on_overload();
  EXPECT_EQ(limiter_.limit(), 2u);
  limiter_.on_overload();
  limiter_.on_overload();
  limiter_.on_overload();
  EXPECT_EQ(limiter_.limit(), 1u);  // never below one
  for (std::size_t i = 0; i < 3; ++i) take(i);
  io_.poll();
  EXPECT_EQ(granted_.size(), 1u);
  limiter_.on_success();  // 2: one more may go
  io_.poll();
  EXPECT_EQ(granted_.size(), 2u);
  for (int i = 0; i < 10; ++i) limiter_.on_success();
  io_.poll();
  EXPECT_EQ(limiter_.limit(), 4u);
  EXPECT_EQ(granted_.size(), 3u);
}

TEST_F(LimiterTest, ShrinkingBelowTheSlotsInUseWaitsForThemToDrain) {
  for (std::size_t i = 0; i < 5; ++i) take(i);
  io_.poll();
  limiter_.on_overload();  // limit 2 with 4 in use
  permits_[0].reset();
  permits_[1].reset();
  io_.poll();
  EXPECT_EQ(granted_.size(), 4u);  // 2 still in use: the waiter must wait
  permits_[2].reset();
  io_.poll();
  EXPECT_EQ(granted_.size(), 5u);
}

TEST_F(LimiterTest, CancelledWaiterLeavesTheQueue) {
  for (std::size_t i = 0; i < 4; ++i) take(i);
  asio::cancellation_signal cancel;
  take(4, cancel.slot());
  take(5);
  io_.poll();
  EXPECT_EQ(limiter_.waiting(), 2u);
  cancel.emit(asio::cancellation_type::terminal);
  io_.poll();
  EXPECT_EQ(limiter_.waiting(), 1u);
  EXPECT_FALSE(permits_[4]);  // resumed without a slot
  EXPECT_EQ(limiter_.in_use(), 4u);
  permits_[1].reset();
  io_.poll();
  EXPECT_TRUE(permits_[5]);  // the next waiter, not the cancelled one, got it
  EXPECT_EQ(limiter_.in_use(), 4u);
}

}  // namespace
}  // namespace agents::llm
