// RAII over the sqlite3 C API: a Database owns its sqlite3* and its cached statements, a
// Statement resets itself after use. Every call that fails throws sqlite::Failure naming the
// statement and SQLite's message: a journal operation has many steps and the one place that
// decides what a failure means is the writer's transaction boundary (journal.cc), which
// turns it into an error value for the operation's caller.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace agentd::sqlite {

class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);  // prepares; throws Failure
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_null(int index);
  Statement& bind_optional(int index, std::optional<int64_t> value);
  Statement& bind_optional(int index, const std::optional<std::string>& text);

  // One step: true when a row is ready.
  bool step();
  // Steps to the end (for statements without rows).
  void run();
  // Resets for the next use and clears bindings.
  void reset();

  int64_t integer(int column) const;
  std::string text(int column) const;
  bool is_null(int column) const;
  std::optional<int64_t> optional_integer(int column) const;

 private:
  [[noreturn]] void fail(const char* what) const;
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

class Database {
 public:
  // Opens (creating) the file; throws Failure.
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const char* sql);
  // A prepared statement kept for the life of the database, reset before it is handed out.
  Statement& prepare(const char* sql);
  int64_t changes() const { return sqlite3_changes64(db_); }
  // The single text value of a query ("PRAGMA journal_mode=WAL").
  std::string scalar_text(const char* sql);
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::map<const char*, std::unique_ptr<Statement>> statements_;  // keyed by the literal
};

// RAII transaction: rolled back unless committed.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool open_ = true;
};

}  // namespace agentd::sqlite
