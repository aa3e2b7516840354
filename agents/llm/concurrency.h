// An AIMD concurrency limit for one endpoint, as an Asio-friendly semaphore: requests wait
// for a slot in FIFO order (no threads; a waiter is a coroutine suspended on a timer). The
// limit halves when the server says it is overloaded (429) and grows by one per success, up
// to the configured maximum. Used from one executor's thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <list>

namespace agents::llm {

class AimdLimiter;

// A held slot, released when destroyed; empty when the wait for a slot was cancelled.
class Permit {
 public:
  Permit() = default;
  explicit Permit(AimdLimiter* owner) : owner_(owner) {}
  Permit(Permit&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
  Permit& operator=(Permit&& other) noexcept;
  ~Permit() { reset(); }
  explicit operator bool() const { return owner_ != nullptr; }
  void reset();

 private:
  AimdLimiter* owner_ = nullptr;
};

class AimdLimiter {
 public:
  AimdLimiter(boost::asio::any_io_executor executor, uint32_t max_limit);
  AimdLimiter(const AimdLimiter&) = delete;
  AimdLimiter& operator=(const AimdLimiter&) = delete;

  // Waits (FIFO) for a slot. Cancelling the awaiting coroutine ends the wait with an empty
  // Permit and leaves the queue as if it had never waited.
  boost::asio::awaitable<Permit> acquire();

  void on_success();   // additive increase
  void on_overload();  // multiplicative decrease

  uint32_t limit() const { return limit_; }
  uint32_t in_use() const { return in_use_; }
  std::size_t waiting() const { return waiters_.size(); }

 private:
  friend class Permit;
  struct Waiter;
  void release();
  void grant_waiters();

  boost::asio::any_io_executor executor_;
  uint32_t max_limit_;
  uint32_t limit_;
  uint32_t in_use_ = 0;
  std::list<Waiter*> waiters_;  // each lives in its waiting coroutine's frame
};

}  // namespace agents::llm
