#include "agents/runtime/nursery.h"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <optional>
#include <vector>

namespace agents::runtime {

namespace asio = boost::asio;

struct Child {
  uint64_t number = 0;
  asio::cancellation_signal signal;
  bool done = false;
};

struct Nursery::State {
  explicit State(asio::any_io_executor ex) : executor(std::move(ex)) {}
  asio::any_io_executor executor;
  std::list<Child> children;
  uint64_t next_number = 0;
  size_t running = 0;
  uint64_t finished = 0;  // children that have completed
  uint64_t reported = 0;  // of those, reported by next()
  bool cancelled = false;
  std::exception_ptr error;  // the first non-cancellation exception of a child
  std::vector<asio::steady_timer*> waiters;

  void wake_waiters() {
    for (asio::steady_timer* timer : waiters) timer->cancel();
  }
};

namespace {

bool is_cancellation(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const boost::system::system_error& e) {
    return e.code() == asio::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

}  // namespace

Nursery::Nursery(asio::any_io_executor executor)
    : state_(std::make_shared<State>(std::move(executor))) {}

Nursery::~Nursery() {
  cancel();
}

uint64_t Nursery::spawn(asio::awaitable<void> child) {
  auto state = state_;
  auto it = state->children.emplace(state->children.end());
  it->number = state->next_number++;
  ++state->running;
  auto on_done = [state, it](const std::exception_ptr& error) {
    if (error && !is_cancellation(error) && !state->error) state->error = error;
    it->done = true;
    --state->running;
    ++state->finished;
    state->wake_waiters();
    // The signal is freed later, once co_spawn has let go of the slot bound to it.
    asio::post(state->executor, [state, it] { state->children.erase(it); });
  };
  asio::co_spawn(state->executor, std::move(child),
                 asio::bind_cancellation_slot(it->signal.slot(), std::move(on_done)));
  if (state->cancelled) it->signal.emit(asio::cancellation_type::terminal);
  return it->number;
}

void Nursery::cancel() {
  state_->cancelled = true;
  // A child's cancellation may finish other children synchronously; iterate over numbers.
  std::vector<uint64_t> numbers;
  for (const Child& child : state_->children)
    if (!child.done) numbers.push_back(child.number);
  for (uint64_t number : numbers) cancel(number);
}

void Nursery::cancel(uint64_t number) {
  for (Child& child : state_->children) {
    if (child.number != number) continue;
    if (!child.done) child.signal.emit(asio::cancellation_type::terminal);
    return;
  }
}

size_t Nursery::running() const {
  return state_->running;
}

asio::awaitable<void> Nursery::wait_until_changed(bool all) {
  auto state = state_;
  bool outer_cancelled = false;
  auto satisfied = [&] {
    if (state->running == 0) return true;
    return !all && state->finished > state->reported;
  };
  while (!satisfied()) {
    asio::steady_timer timer(state->executor, asio::steady_timer::time_point::max());
    state->waiters.push_back(&timer);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    std::erase(state->waiters, &timer);
    asio::cancellation_state cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none) {
      // Our own waiter was cancelled: take the children down with us, then report it.
      outer_cancelled = true;
      cancel();
      co_await asio::this_coro::reset_cancellation_state();
      all = true;
    }
  }
  state->reported = state->finished;
  if (outer_cancelled) throw boost::system::system_error(asio::error::operation_aborted);
  if (all && state->error) std::rethrow_exception(std::exchange(state->error, nullptr));
}

asio::awaitable<void> Nursery::join() {
  return wait_until_changed(true);
}
asio::awaitable<void> Nursery::next() {
  return wait_until_changed(false);
}

}  // namespace agents::runtime
