#include "agents/llm/concurrency.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

namespace agents::llm {

namespace asio = boost::asio;

Permit& Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = std::exchange(other.owner_, nullptr);
  }
  return *this;
}

void Permit::reset() {
  if (owner_ != nullptr) std::exchange(owner_, nullptr)->release();
}

// A suspended acquire(): its timer never expires by itself; a grant cancels it.
struct AimdLimiter::Waiter {
  explicit Waiter(const asio::any_io_executor& executor)
      : timer(executor, asio::steady_timer::time_point::max()) {}
  asio::steady_timer timer;
  bool granted = false;
};

AimdLimiter::AimdLimiter(asio::any_io_executor executor, uint32_t max_limit)
    : executor_(std::move(executor)),
      max_limit_(std::max<uint32_t>(max_limit, 1)),
      limit_(max_limit_) {}

asio::awaitable<Permit> AimdLimiter::acquire() {
  if (waiters_.empty() && in_use_ < limit_) {
    ++in_use_;
    co_return Permit(this);
  }
  Waiter waiter(executor_);
  // Leaves the queue on every path, including an exception thrown at the co_await when the
  // coroutine was already cancelled; a slot granted but never handed over is given back.
  struct Leave {
    AimdLimiter& limiter;
    Waiter& waiter;
    std::list<Waiter*>::iterator position;
    bool handed_over = false;
    ~Leave() {
      if (!waiter.granted) {
        limiter.waiters_.erase(position);
      } else if (!handed_over) {
        limiter.release();
      }
    }
  } leave{*this, waiter, waiters_.insert(waiters_.end(), &waiter)};
  // A grant cancels the timer; so does cancelling this coroutine. `granted` tells them apart.
  co_await waiter.timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!waiter.granted) co_return Permit();
  leave.handed_over = true;
  co_return Permit(this);
}

void AimdLimiter::release() {
  if (in_use_ > 0) --in_use_;
  grant_waiters();
}

void AimdLimiter::grant_waiters() {
  while (!waiters_.empty() && in_use_ < limit_) {
    Waiter* next = waiters_.front();
    waiters_.pop_front();
    next->granted = true;
    ++in_use_;
    next->timer.cancel();
  }
}

void AimdLimiter::on_success() {
  if (limit_ < max_limit_) {
    ++limit_;
    grant_waiters();
  }
}

void AimdLimiter::on_overload() {
  limit_ = std::max<uint32_t>(limit_ / 2, 1);
}

}  // namespace agents::llm
