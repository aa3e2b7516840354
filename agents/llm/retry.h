// When to retry a chat request and how long to wait first: exponential backoff with full
// jitter, or the server's Retry-After (delta-seconds or an HTTP date).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace agents::llm {

struct RetryPolicy {
  // Retry n (1-based) waits a uniformly random time in [0, min(max_delay, base_delay·2^(n-1))]
  // ("full jitter"), or what the server's Retry-After asks, capped at max_retry_after.
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{30'000};
  std::chrono::milliseconds max_retry_after{60'000};
};

// 408, 425, 429 and every 5xx: the server may answer differently later.
bool retryable_status(long status);

// The wait a Retry-After value asks for, or nullopt when it is neither delta-seconds nor an
// HTTP date. A date in the past means no wait.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

// The jittered wait before retry number `retry` (1-based).
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, uint32_t retry,
                                        std::mt19937_64& random);

// The wait before the next attempt: Retry-After when the server sent one (capped), else
// backoff_delay.
std::chrono::milliseconds retry_delay(const RetryPolicy& policy, uint32_t retry,
                                      std::optional<std::chrono::milliseconds> retry_after,
                                      std::mt19937_64& random);

}  // namespace agents::llm
