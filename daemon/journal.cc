#include "daemon/journal.h"

#include <iostream>

#include "base/log.h"
#include "daemon/journal_schema.h"

namespace agentd {

base::Expected<std::unique_ptr<Journal>> Journal::open(JournalOptions options,
                                                       boost::asio::any_io_executor loop) {
  try {
    auto db = std::make_unique<sqlite::Database>(options.path);
    sqlite3_busy_timeout(db->get(), 5000);
    const std::string mode = db->scalar_text("PRAGMA journal_mode=WAL");
    if (mode != "wal")
      return base::Error{"journal " + options.path + ": could not switch to WAL mode (got \"" +
                         mode + "\")"};
    // FULL: a commit is on disk before a submission is answered, even across a power cut.
    db->exec("PRAGMA synchronous=FULL");
    db->exec("PRAGMA foreign_keys=ON");
    journal_schema::create(*db);
    return std::unique_ptr<Journal>(
        new Journal(std::move(options), std::move(loop), std::move(db)));
  } catch (const sqlite::Failure& failure) {
    return base::Error{"journal " + options.path + ": " + failure.what()};
  }
}

Journal::Journal(JournalOptions options, boost::asio::any_io_executor loop,
                 std::unique_ptr<sqlite::Database> db)
    : options_(std::move(options)), loop_(std::move(loop)), db_(std::move(db)) {
  writer_ = std::thread([this] { writer_loop(); });
}

Journal::~Journal() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

void Journal::on_commit(std::function<void(size_t, double)> callback) {
  std::lock_guard lock(mutex_);
  commit_callback_ = std::move(callback);
}

void Journal::enqueue(Job job) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    // The writer waits for a first job, then (batching) only for an urgent one: waking it for
    // every event would cost a futex wake and a context switch each.
    wake = queue_.empty() || job.urgent;
    if (queue_.empty()) oldest_ = std::chrono::steady_clock::now();
    if (job.urgent) ++urgent_queued_;
    queue_.push_back(std::move(job));
    queued_.store(queue_.size());
  }
  if (wake) wake_.notify_one();
}

void Journal::write(std::function<void(sqlite::Database&)> operation) {
  enqueue(Job{std::move(operation), nullptr, false});
}

boost::asio::awaitable<base::Status> Journal::flush() {
  co_return co_await call<base::Ok>([](sqlite::Database&) { return base::Ok{}; });
}

base::Status Journal::flush_sync() {
  return call_sync<base::Ok>([](sqlite::Database&) { return base::Ok{}; });
}

void Journal::writer_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    // Writes nobody waits for may wait a little to share a commit (one fsync) with others.
    if (urgent_queued_ == 0 && !stopping_ && options_.batch.count() > 0)
      wake_.wait_until(lock, oldest_ + options_.batch,
                       [&] { return stopping_ || urgent_queued_ > 0; });
    std::deque<Job> jobs;
    jobs.swap(queue_);
    urgent_queued_ = 0;
    queued_.store(0);
    auto callback = commit_callback_;
    lock.unlock();
    const auto started = std::chrono::steady_clock::now();
    run_batch(jobs);
    if (callback) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
      boost::asio::post(loop_, [callback, n = jobs.size(), s = took.count()] { callback(n, s); });
    }
    lock.lock();
  }
}

void Journal::run_batch(std::deque<Job>& jobs) {
  std::vector<base::Status> outcomes(jobs.size(), base::Ok{});
  base::Status commit = base::Ok{};
  try {
    sqlite::Transaction transaction(*db_);
    for (size_t i = 0; i < jobs.size(); ++i) {
      try {
        jobs[i].run(*db_);
      } catch (const sqlite::Failure& failure) {
        outcomes[i] = base::Error{failure.what()};
      }
    }
    transaction.commit();
  } catch (const sqlite::Failure& failure) {
    commit = base::Error{std::string("journal commit failed: ") + failure.what()};
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    const base::Status& status = commit.ok() ? outcomes[i] : commit;
    if (!status.ok() && !jobs[i].done) base::log::error() << "journal: " << status.error().message;
    if (jobs[i].done) jobs[i].done(status);
  }
}

}  // namespace agentd
