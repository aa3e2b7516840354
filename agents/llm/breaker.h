// A circuit breaker per configured model endpoint, shared by every task and agent that uses
// it. After `failures` consecutive failed attempts (429, 408, 425, 5xx, connection errors,
// timeouts) the breaker opens: requests fail at once, without reaching the endpoint, for
// `cool_down`, and the error says why. Then it is half-open: one trial request goes through;
// its success closes the breaker, its failure opens it for another cool-down. Without it a
// dead endpoint received every attempt of every agent (18 per fan_out task). Used only on
// the Client's io_context thread, so it needs no lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace agents::llm {

struct BreakerConfig {
  uint32_t failures = 5;  // consecutive failures that open it; 0: never opens
  std::chrono::milliseconds cool_down{30'000};
};

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;

  CircuitBreaker(std::string endpoint, BreakerConfig config)
      : endpoint_(std::move(endpoint)), config_(config) {}

  // nullopt: the attempt may go (when half-open it is the trial, and the caller must report
  // how it ended); otherwise why it may not, for the request's error.
  std::optional<std::string> admit(Clock::time_point now);
  // The endpoint answered (a 4xx or a malformed body too: it is alive).
  void succeeded();
  // The attempt failed in a way that says the endpoint is unwell; `why` is its error.
  void failed(const std::string& why, Clock::time_point now);
  // The attempt ended without a verdict (cancelled, or it never reached the endpoint).
  void abandoned();

  bool is_open(Clock::time_point now) const { return state_ == State::open && now < until_; }

 private:
  enum class State { closed, open, half_open };
  std::string failing(const std::string& then) const;

  std::string endpoint_;
  BreakerConfig config_;
  State state_ = State::closed;
  uint32_t consecutive_ = 0;
  std::string last_failure_;
  Clock::time_point until_{};
  bool trial_in_flight_ = false;
};

}  // namespace agents::llm
