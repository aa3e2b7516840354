#include "daemon/rate_limiter.h"

#include <gtest/gtest.h>

namespace agentd {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiter, AllowsTheBurstThenTheRate) {
  const auto start = RateLimiter::Clock::time_point{} + 1h;
  RateLimiter limiter(50, 100, start);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.try_take(start)) << i;
  EXPECT_FALSE(limiter.try_take(start));
  EXPECT_EQ(limiter.retry_after_ms(start), 20u);  // one token every 20 ms at 50/s
  EXPECT_FALSE(limiter.try_take(start + 19ms));
  EXPECT_TRUE(limiter.try_take(start + 20ms));
  // Tokens never accumulate past the burst.
  int taken = 0;
  while (limiter.try_take(start + 1h)) ++taken;
  EXPECT_EQ(taken, 100);
}

TEST(RateLimiter, ClockGoingBackwardsGivesNothing) {
  const auto start = RateLimiter::Clock::time_point{} + 1h;
  RateLimiter limiter(1, 1, start);
  EXPECT_TRUE(limiter.try_take(start));
  EXPECT_FALSE(limiter.try_take(start - 10s));
  EXPECT_FALSE(limiter.try_take(start + 500ms));
  EXPECT_TRUE(limiter.try_take(start + 1s));
}

}  // namespace
}  // namespace agentd
