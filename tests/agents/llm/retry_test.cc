// Retry decisions: which statuses, Retry-After in both forms, and full-jitter bounds.
#include "agents/llm/retry.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

namespace agents::llm {
namespace {

using std::chrono::milliseconds;

TEST(RetryTest, RetryableStatuses) {
  for (long status : {408L, 425L, 429L, 500L, 502L, 503L, 504L, 599L}) {
    EXPECT_TRUE(retryable_status(status)) << status;
  }
  for (long status : {200L, 400L, 401L, 403L, 404L, 422L}) {
    EXPECT_FALSE(retryable_status(status)) << status;
  }
}

TEST(RetryTest, RetryAfterSecondsAndDates) {
  const auto now = std::chrono::system_clock::from_time_t(
      curl_getdate("Sun, 06 Nov 1994 08:49:37 GMT", nullptr));
  EXPECT_EQ(parse_retry_after("3", now), milliseconds(3000));
  EXPECT_EQ(parse_retry_after(" 0 ", now), milliseconds(0));
  EXPECT_EQ(parse_retry_after("1.5", now), milliseconds(1500));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now), milliseconds(30'000));
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:47 GMT", now), milliseconds(10'000));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), milliseconds(0));  // past
  EXPECT_FALSE(parse_retry_after("", now));
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("3s", now));
  EXPECT_FALSE(parse_retry_after("-1", now));
}

TEST(RetryTest, FullJitterStaysWithinTheExponentialCeiling) {
  RetryPolicy policy;
  policy.base_delay = milliseconds(100);
  policy.max_delay = milliseconds(1000);
  std::mt19937_64 random(42);
  for (uint32_t retry = 1; retry <= 8; ++retry) {
    const int64_t ceiling = std::min<int64_t>(1000, 100ll << (retry - 1));
    milliseconds longest{0};
    for (int i = 0; i < 500; ++i) {
      const auto delay = backoff_delay(policy, retry, random);
      EXPECT_GE(delay.count(), 0);
      EXPECT_LE(delay.count(), ceiling);
      longest = std::max(longest, delay);
    }
    // Jitter spreads over the whole range: 500 draws reach its upper half.
    EXPECT_GT(longest.count(), ceiling / 2) << "retry " << retry;
  }
  EXPECT_LE(backoff_delay(policy, 1000, random), milliseconds(1000));  // no overflow
}

TEST(RetryTest, RetryAfterWinsOverBackoffButIsCapped) {
  RetryPolicy policy;
  policy.max_retry_after = milliseconds(5000);
  std::mt19937_64 random(1);
  EXPECT_EQ(retry_delay(policy, 1, milliseconds(2000), random), milliseconds(2000));
  EXPECT_EQ(retry_delay(policy, 1, milliseconds(90'000), random), milliseconds(5000));
  EXPECT_LE(retry_delay(policy, 1, std::nullopt, random), policy.base_delay);
}

}  // namespace
}  // namespace agents::llm
