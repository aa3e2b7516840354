#include "agents/runtime/token_queue.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agents::runtime {

namespace asio = boost::asio;

struct TokenQueue::Waiter {
  Waiter(const asio::any_io_executor& ex, std::string id)
      : agent_id(std::move(id)), timer(ex, asio::steady_timer::time_point::max()) {}
  std::string agent_id;
  asio::steady_timer timer;
  bool granted = false;
};

TokenQueue::TokenQueue(asio::any_io_executor executor, std::string resource, Report report)
    : executor_(std::move(executor)), resource_(std::move(resource)), report_(std::move(report)) {}

TokenQueue::Hold::Hold(Hold&& other) noexcept
    : queue_(std::exchange(other.queue_, nullptr)), agent_id_(std::move(other.agent_id_)) {}

TokenQueue::Hold& TokenQueue::Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    release();
    queue_ = std::exchange(other.queue_, nullptr);
    agent_id_ = std::move(other.agent_id_);
  }
  return *this;
}

TokenQueue::Hold::~Hold() {
  release();
}

void TokenQueue::Hold::release() {
  if (auto* queue = std::exchange(queue_, nullptr)) queue->release(agent_id_);
}

asio::awaitable<TokenQueue::Hold> TokenQueue::acquire(std::string agent_id) {
  if (holder_.empty() && waiters_.empty()) {
    holder_ = agent_id;
    report_("token.acquired", agent_id, {{"resource", resource_}, {"waited", false}});
    co_return Hold(this, std::move(agent_id));
  }
  auto waiter = std::make_shared<Waiter>(executor_, agent_id);
  waiters_.push_back(waiter);
  report_("token.waiting", agent_id,
          {{"resource", resource_}, {"holder", holder_}, {"position", waiters_.size()}});
  boost::system::error_code ignored;
  co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  asio::cancellation_state cs = co_await asio::this_coro::cancellation_state;
  if (cs.cancelled() != asio::cancellation_type::none || !waiter->granted) {
    if (waiter->granted) {
      release(agent_id);  // handed over while we were being cancelled: pass it on
    } else {
      std::erase(waiters_, waiter);
    }
    throw boost::system::system_error(asio::error::operation_aborted);
  }
  co_return Hold(this, std::move(agent_id));
}

void TokenQueue::release(const std::string& agent_id) {
  if (holder_ != agent_id) return;
  if (waiters_.empty()) {
    holder_.clear();
    report_("token.released", agent_id, {{"resource", resource_}});
    return;
  }
  std::shared_ptr<Waiter> next = waiters_.front();
  waiters_.pop_front();
  holder_ = next->agent_id;
  next->granted = true;
  next->timer.cancel();
  report_("token.handover", next->agent_id,
          {{"resource", resource_}, {"from", agent_id}, {"to", next->agent_id}});
}

}  // namespace agents::runtime
