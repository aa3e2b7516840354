// The journal: WAL mode, durable and ordered operations off the calling thread, the task and
// event queries, idempotency, pruning, and errors as values.
#include "daemon/journal.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>

#include "daemon/journal_schema.h"
#include "daemon/task_json.h"
#include "tests/daemon/test_daemon.h"

namespace agentd {
namespace {

namespace asio = boost::asio;
using journal_schema::EventRow;
using journal_schema::TaskRow;

TaskRow task_row(const std::string& id, const std::string& tenant,
                 std::optional<std::string> key = std::nullopt) {
  TaskRow row;
  row.id = id;
  row.tenant = tenant;
  row.idempotency_key = std::move(key);
  row.state = "queued";
  row.pattern = "vote";
  row.prompt_preview = "p";
  row.spec = "{}";
  row.created_at = now_ms();
  return row;
}

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto journal = Journal::open({dir.path() + "/journal.db", std::chrono::milliseconds(2)},
                                 io.get_executor());
    ASSERT_TRUE(journal) << journal.error().message;
    journal_ = std::move(*journal);
  }
  template <class T>
  base::Expected<T> sync(std::function<T(sqlite::Database&)> operation) {
    return journal_->call_sync<T>(std::move(operation));
  }

  testing::TempDir dir;
  asio::io_context io;
  std::unique_ptr<Journal> journal_;
};

TEST_F(JournalTest, UsesWriteAheadLogging) {
  auto mode =
      sync<std::string>([](sqlite::Database& db) { return db.scalar_text("PRAGMA journal_mode"); });
  ASSERT_TRUE(mode);
  EXPECT_EQ(*mode, "wal");
  auto sync_mode =
      sync<std::string>([](sqlite::Database& db) { return db.scalar_text("PRAGMA synchronous"); });
  EXPECT_EQ(*sync_mode, "2");  // FULL
}

TEST_F(JournalTest, WritesRunOffTheCallingThreadInOrder) {
  const auto caller = std::this_thread::get_id();
  std::vector<int> order;
  std::thread::id writer;
  for (int i = 0; i < 50; ++i)
    journal_->write([&order, &writer, i](sqlite::Database&) {
      order.push_back(i);
      writer = std::this_thread::get_id();
    });
  ASSERT_TRUE(journal_->flush_sync());
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
  EXPECT_NE(writer, caller);
}

TEST_F(JournalTest, TasksEventsAndListing) {
  ASSERT_TRUE(sync<journal_schema::InsertOutcome>([](sqlite::Database& db) {
    return journal_schema::insert_task(db, task_row("t1", "alice"));
  }));
  for (const char* id : {"t2", "t3"})
    journal_->write(
        [id](sqlite::Database& db) { journal_schema::insert_task(db, task_row(id, "alice")); });
  journal_->write(
      [](sqlite::Database& db) { journal_schema::insert_task(db, task_row("b1", "bob")); });
  for (uint64_t seq = 1; seq <= 5; ++seq)
    journal_->write([seq](sqlite::Database& db) {
      journal_schema::append_event(
          db, EventRow{"t1", seq, "x", "", 0, "{\"seq\":" + std::to_string(seq) + "}"});
    });
  journal_->write([](sqlite::Database& db) {
    journal_schema::finish_task(db, "t1", "succeeded", "{\"status\":\"succeeded\"}", "{}",
                                now_ms());
  });
  auto t1 = sync<std::optional<TaskRow>>(
      [](sqlite::Database& db) { return journal_schema::get_task(db, "t1"); });
  ASSERT_TRUE(t1 && *t1);
  EXPECT_EQ((*t1)->state, "succeeded");
  EXPECT_EQ((*t1)->last_seq, 5u);
  EXPECT_TRUE((*t1)->finished_at.has_value());

  auto events = sync<std::vector<EventRow>>(
      [](sqlite::Database& db) { return journal_schema::events(db, "t1", 2, 4, 10); });
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].seq, 3u);
  EXPECT_EQ((*events)[1].params, "{\"seq\":4}");

  auto listed = sync<std::vector<TaskRow>>([](sqlite::Database& db) {
    return journal_schema::list_tasks(db, "alice", std::nullopt, 2, std::nullopt);
  });
  ASSERT_EQ(listed->size(), 3u);  // limit + 1: the caller learns there are more
  EXPECT_EQ((*listed)[0].id, "t3");
  EXPECT_EQ((*listed)[1].id, "t2");
  auto older = sync<std::vector<TaskRow>>([](sqlite::Database& db) {
    return journal_schema::list_tasks(db, "alice", std::nullopt, 10, std::string("t2"));
  });
  ASSERT_EQ(older->size(), 1u);
  EXPECT_EQ((*older)[0].id, "t1");
  auto succeeded = sync<std::vector<TaskRow>>([](sqlite::Database& db) {
    return journal_schema::list_tasks(db, "alice", std::string("succeeded"), 10, std::nullopt);
  });
  ASSERT_EQ(succeeded->size(), 1u);
  auto unfinished = sync<std::vector<TaskRow>>(
      [](sqlite::Database& db) { return journal_schema::unfinished_tasks(db); });
  EXPECT_EQ(unfinished->size(), 3u);
}

TEST_F(JournalTest, IdempotencyKeysArePerTenant) {
  auto first = sync<journal_schema::InsertOutcome>([](sqlite::Database& db) {
    return journal_schema::insert_task(db, task_row("t1", "alice", "k"));
  });
  auto again = sync<journal_schema::InsertOutcome>([](sqlite::Database& db) {
    return journal_schema::insert_task(db, task_row("t2", "alice", "k"));
  });
  auto other = sync<journal_schema::InsertOutcome>([](sqlite::Database& db) {
    return journal_schema::insert_task(db, task_row("t3", "bob", "k"));
  });
  EXPECT_TRUE(first->inserted);
  EXPECT_FALSE(again->inserted);
  EXPECT_EQ(again->id, "t1");
  EXPECT_TRUE(other->inserted);
}

TEST_F(JournalTest, PruneRemovesOldFinishedTasksAndTheirEvents) {
  journal_->write([](sqlite::Database& db) {
    journal_schema::insert_task(db, task_row("old", "a"));
    journal_schema::insert_task(db, task_row("new", "a"));
    journal_schema::insert_task(db, task_row("running", "a"));
    journal_schema::append_event(db, EventRow{"old", 1, "x", "", 0, "{}"});
    journal_schema::finish_task(db, "old", "succeeded", "{}", "{}", 1000);
    journal_schema::finish_task(db, "new", "succeeded", "{}", "{}", now_ms());
  });
  auto pruned = sync<std::vector<std::string>>(
      [](sqlite::Database& db) { return journal_schema::prune(db, now_ms() - 3'600'000); });
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, std::vector<std::string>{"old"});
  auto events = sync<std::vector<EventRow>>(
      [](sqlite::Database& db) { return journal_schema::events(db, "old", 0, 100, 10); });
  EXPECT_TRUE(events->empty());
  auto running = sync<std::optional<TaskRow>>(
      [](sqlite::Database& db) { return journal_schema::get_task(db, "running"); });
  EXPECT_TRUE(running && *running);
}

TEST_F(JournalTest, FailuresComeBackAsValues) {
  auto failed = sync<int>([](sqlite::Database& db) {
    db.exec("INSERT INTO no_such_table VALUES (1)");
    return 1;
  });
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("no_such_table"), std::string::npos);
  // The writer carries on.
  EXPECT_TRUE(journal_->flush_sync());
}

TEST_F(JournalTest, AwaitedCallsCompleteOnTheLoop) {
  std::optional<base::Expected<int>> result;
  std::thread::id completed_on;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        result = co_await journal_->call<int>(
            [](sqlite::Database& db) { return static_cast<int>(db.changes()) + 41 + 1; });
        completed_on = std::this_thread::get_id();
      },
      asio::detached);
  io.run_for(std::chrono::seconds(20));
  ASSERT_TRUE(result && *result);
  EXPECT_GE(**result, 42);
  EXPECT_EQ(completed_on, std::this_thread::get_id());
}

TEST_F(JournalTest, CommittedWritesSurviveReopening) {
  journal_->write(
      [](sqlite::Database& db) { journal_schema::insert_task(db, task_row("t1", "a")); });
  ASSERT_TRUE(journal_->flush_sync());
  journal_.reset();
  auto reopened =
      Journal::open({dir.path() + "/journal.db", std::chrono::milliseconds(2)}, io.get_executor());
  ASSERT_TRUE(reopened);
  auto row = (*reopened)->call_sync<std::optional<TaskRow>>(
      [](sqlite::Database& db) { return journal_schema::get_task(db, "t1"); });
  EXPECT_TRUE(row && *row);
}

}  // namespace
}  // namespace agentd
