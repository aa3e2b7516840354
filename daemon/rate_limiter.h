// A token bucket: `rate` requests per second on average, bursts of up to `burst`.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

namespace agentd {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  RateLimiter(double rate, double burst, Clock::time_point now = Clock::now())
      : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

  // Takes one token; false when none is left.
  bool try_take(Clock::time_point now = Clock::now()) {
    refill(now);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

  // How long until a token is available (0 when one is).
  uint64_t retry_after_ms(Clock::time_point now = Clock::now()) {
    refill(now);
    if (tokens_ >= 1) return 0;
    return static_cast<uint64_t>(std::ceil((1 - tokens_) / rate_ * 1000.0));
  }

 private:
  void refill(Clock::time_point now) {
    const std::chrono::duration<double> elapsed = now - last_;
    last_ = std::max(last_, now);
    tokens_ = std::min(burst_, tokens_ + std::max(0.0, elapsed.count()) * rate_);
  }

  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace agentd
