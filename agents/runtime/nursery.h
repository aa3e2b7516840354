// agents::runtime::Nursery: structured concurrency for coroutines on one executor. Children
// are co_spawned, each bound to its own cancellation signal, so a task can cancel them all
// (budget exhausted, task cancelled), one (a vote that no longer matters), or the rest (the
// first passing candidate wins). join() waits for all of them; when the coroutine waiting in
// join() is itself cancelled, the children are cancelled and awaited before the cancellation
// goes on up, so no child outlives the scope that started it.
//
// Everything runs on the executor's single thread (an io_context run by one thread, or a
// strand): nothing here locks.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <list>
#include <memory>

namespace agents::runtime {

class Nursery {
 public:
  explicit Nursery(boost::asio::any_io_executor executor);
  // Children still running are cancelled; they finish on their own (they share the state).
  ~Nursery();
  Nursery(const Nursery&) = delete;
  Nursery& operator=(const Nursery&) = delete;

  // Starts `child`; an exception escaping it (other than cancellation) is kept and rethrown
  // by join(). Returns the child's number, for cancel(child).
  uint64_t spawn(boost::asio::awaitable<void> child);

  // Terminal cancellation to every running child (and to those spawned later, at once).
  void cancel();
  // Terminal cancellation to one child, if it still runs.
  void cancel(uint64_t child);

  // Until no child runs. Cancelling the awaiting coroutine cancels the children, waits for
  // them, then throws operation_aborted.
  boost::asio::awaitable<void> join();
  // Until some child finishes that has not been reported by an earlier next() (returns at
  // once if one has), or none runs. Cancellation as in join().
  boost::asio::awaitable<void> next();

  size_t running() const;

  struct State;

 private:
  boost::asio::awaitable<void> wait_until_changed(bool all);
  std::shared_ptr<State> state_;
};

}  // namespace agents::runtime
