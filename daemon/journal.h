// The journal's writer: one SQLite database (WAL mode) owned by one dedicated thread, never
// touched by the event loop. Operations are queued in order and run in batched transactions:
// an operation someone waits for (a task submission that must be durable before it is
// answered, a read) is committed at once, other writes (events) may wait up to `batch` to
// share a commit. Completions are posted to the loop's executor after the commit, so what a
// caller sees is on disk. Reads run on the same queue, so they see every write queued before.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/expected.h"
#include "daemon/sqlite.h"

namespace agentd {

struct JournalOptions {
  std::string path;
  std::chrono::milliseconds batch{5};
};

class Journal {
 public:
  // Opens or creates the database, switches it to WAL, creates the schema, starts the writer.
  static base::Expected<std::unique_ptr<Journal>> open(JournalOptions options,
                                                       boost::asio::any_io_executor loop);
  // Runs what is queued, commits, stops the writer.
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // A write nobody waits for (events, state changes); failures are logged.
  void write(std::function<void(sqlite::Database&)> operation);

  // Runs `operation` on the writer thread and completes on the loop after the commit.
  // In a coroutine, pass a named std::function: g++ 12 relocates a lambda temporary of a
  // co_await expression with memcpy, which corrupts captured strings (a double free).
  template <class T>
  boost::asio::awaitable<base::Expected<T>> call(std::function<T(sqlite::Database&)> operation) {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                       void(base::Expected<T>)>(
        Initiate<T>{this}, boost::asio::use_awaitable, std::move(operation));
  }

  // The same, blocking the calling thread (startup and shutdown, before or after the loop).
  template <class T>
  base::Expected<T> call_sync(std::function<T(sqlite::Database&)> operation) {
    auto promise = std::make_shared<std::promise<base::Expected<T>>>();
    auto result = std::make_shared<std::optional<T>>();
    enqueue(Job{[operation = std::move(operation), result](sqlite::Database& db) {
                  result->emplace(operation(db));
                },
                [promise, result](const base::Status& status) {
                  if (status.ok())
                    promise->set_value(base::Expected<T>(std::move(**result)));
                  else
                    promise->set_value(base::Expected<T>(status.error()));
                },
                true});
    return promise->get_future().get();
  }

  // Resolves when everything queued before it is committed.
  boost::asio::awaitable<base::Status> flush();
  base::Status flush_sync();

  // Operations waiting for the writer.
  size_t queued() const { return queued_.load(); }
  // Called on the loop after each commit with the number of operations and its duration.
  void on_commit(std::function<void(size_t operations, double seconds)> callback);

 private:
  struct Job {
    std::function<void(sqlite::Database&)> run;
    std::function<void(const base::Status&)> done;
    bool urgent = false;
  };
  template <class T>
  struct Initiate {
    Journal* journal;
    template <class Handler>
    void operator()(Handler handler, std::function<T(sqlite::Database&)> operation) const {
      auto loop = boost::asio::get_associated_executor(handler, journal->loop_);
      auto shared_handler = std::make_shared<Handler>(std::move(handler));
      auto result = std::make_shared<std::optional<T>>();
      journal->enqueue(Job{[operation = std::move(operation), result](sqlite::Database& db) {
                             result->emplace(operation(db));
                           },
                           [shared_handler, result, loop](const base::Status& status) {
                             boost::asio::post(loop, [shared_handler, result, status]() mutable {
                               if (status.ok())
                                 (*shared_handler)(base::Expected<T>(std::move(**result)));
                               else
                                 (*shared_handler)(base::Expected<T>(status.error()));
                             });
                           },
                           true});
    }
  };
  Journal(JournalOptions options, boost::asio::any_io_executor loop,
          std::unique_ptr<sqlite::Database> db);
  void enqueue(Job job);
  void writer_loop();
  void run_batch(std::deque<Job>& jobs);

  JournalOptions options_;
  boost::asio::any_io_executor loop_;
  std::unique_ptr<sqlite::Database> db_;  // the writer thread's alone once it runs

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  size_t urgent_queued_ = 0;
  std::chrono::steady_clock::time_point oldest_;
  bool stopping_ = false;
  std::atomic<size_t> queued_{0};
  std::function<void(size_t, double)> commit_callback_;  // set before use, read by the writer
  std::thread writer_;
};

}  // namespace agentd
