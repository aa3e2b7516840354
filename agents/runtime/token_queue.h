// Token passing for a task's shared resource (a scratch directory): only the agent holding
// the token uses the resource; waiting agents get it in FIFO order, and every handover is
// reported (token.acquired, token.handover, token.released). A waiter that is cancelled
// leaves the queue; a token handed to it meanwhile goes on to the next.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace agents::runtime {

class TokenQueue {
 public:
  // `report(type, agent_id, data)` emits an event.
  using Report = std::function<void(const std::string& type, const std::string& agent_id,
                                    nlohmann::json data)>;
  TokenQueue(boost::asio::any_io_executor executor, std::string resource, Report report);
  // Must outlive every agent that may acquire the token (the task's context owns it).
  TokenQueue(const TokenQueue&) = delete;
  TokenQueue& operator=(const TokenQueue&) = delete;

  // Releases the token when destroyed (move-only).
  class Hold {
   public:
    Hold() = default;
    Hold(Hold&& other) noexcept;
    Hold& operator=(Hold&& other) noexcept;
    ~Hold();
    void release();
    bool holds() const { return queue_ != nullptr; }

   private:
    friend class TokenQueue;
    Hold(TokenQueue* queue, std::string agent_id) : queue_(queue), agent_id_(std::move(agent_id)) {}
    TokenQueue* queue_ = nullptr;
    std::string agent_id_;
  };

  // Waits for the token in FIFO order; cancellable (throws operation_aborted, queue left).
  boost::asio::awaitable<Hold> acquire(std::string agent_id);

  const std::string& holder() const { return holder_; }
  size_t waiting() const { return waiters_.size(); }

  struct Waiter;

 private:
  void release(const std::string& agent_id);

  boost::asio::any_io_executor executor_;
  std::string resource_;
  Report report_;
  std::string holder_;  // empty: free
  std::deque<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace agents::runtime
