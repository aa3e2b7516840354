#include "agents/llm/breaker.h"

namespace agents::llm {

std::string CircuitBreaker::failing(const std::string& then) const {
  return "endpoint " + endpoint_ + " is failing (" + std::to_string(consecutive_) +
         " consecutive failures, last: " + last_failure_ + "); " + then;
}

std::optional<std::string> CircuitBreaker::admit(Clock::time_point now) {
  if (config_.failures == 0 || state_ == State::closed) return std::nullopt;
  if (state_ == State::open && now < until_) {
    // Rounded up, so that the message never says "for 0 s" while it still refuses.
    const auto left = std::chrono::ceil<std::chrono::seconds>(until_ - now);
    return failing("not retrying for " + std::to_string(left.count()) + " s");
  }
  if (trial_in_flight_) return failing("a trial request is under way");
  state_ = State::half_open;
  trial_in_flight_ = true;
  return std::nullopt;
}

void CircuitBreaker::succeeded() {
  state_ = State::closed;
  consecutive_ = 0;
  trial_in_flight_ = false;
}

void CircuitBreaker::failed(const std::string& why, Clock::time_point now) {
  ++consecutive_;
  last_failure_ = why;
  if (last_failure_.size() > 200) {  // cut on a UTF-8 character boundary: it goes into JSON
    size_t cut = 200;
    while (cut > 0 && (static_cast<unsigned char>(last_failure_[cut]) & 0xC0) == 0x80) --cut;
    last_failure_ = last_failure_.substr(0, cut) + "...";
  }
  if (config_.failures == 0) return;
  if (state_ == State::half_open || consecutive_ >= config_.failures) {
    state_ = State::open;
    until_ = now + config_.cool_down;
    trial_in_flight_ = false;
  }
}

void CircuitBreaker::abandoned() {
  // A trial that ended without a verdict lets the next request be the trial.
  trial_in_flight_ = false;
}

}  // namespace agents::llm
