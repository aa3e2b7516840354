// The journal's tables and the queries over them, run on the journal's writer thread
// (journal.h). Times are milliseconds since the Unix epoch, UTC.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/sqlite.h"

namespace agentd::journal_schema {

void create(sqlite::Database& db);

struct TaskRow {
  std::string id;
  std::string tenant;
  std::optional<std::string> idempotency_key;
  std::string state;
  std::string pattern;
  std::string prompt_preview;
  std::string spec;    // JSON text
  std::string result;  // JSON text; empty until the task ends
  std::string usage;   // JSON text; empty until the task ends
  int64_t created_at = 0;
  std::optional<int64_t> started_at;
  std::optional<int64_t> finished_at;
  bool resume = false;    // run again after a restart instead of being marked interrupted
  uint64_t last_seq = 0;  // filled by reads: the highest event sequence number
};

struct EventRow {
  std::string task_id;
  uint64_t seq = 0;
  std::string type;
  std::string agent_id;
  int64_t at = 0;
  std::string params;  // the task.event params as JSON text
};

// Inserts `row`, unless the tenant already has a task with its idempotency key: then returns
// that task's id and state instead (inserted false).
struct InsertOutcome {
  bool inserted = true;
  std::string id;
  std::string state;
};
InsertOutcome insert_task(sqlite::Database& db, const TaskRow& row);

void set_running(sqlite::Database& db, const std::string& id, int64_t started_at);
void set_queued(sqlite::Database& db, const std::string& id);
void finish_task(sqlite::Database& db, const std::string& id, const std::string& state,
                 const std::string& result, const std::string& usage, int64_t finished_at);
void append_event(sqlite::Database& db, const EventRow& event);

std::optional<TaskRow> get_task(sqlite::Database& db, const std::string& id);
// The tenant's tasks, newest first, optionally in one state, strictly older than `before`.
// Returns at most `limit` + 1 rows so that the caller knows whether there are more.
std::vector<TaskRow> list_tasks(sqlite::Database& db, const std::string& tenant,
                                const std::optional<std::string>& state, uint32_t limit,
                                const std::optional<std::string>& before);
// Events with after < seq <= upto, in order, at most `limit`.
std::vector<EventRow> events(sqlite::Database& db, const std::string& task_id, uint64_t after,
                             uint64_t upto, uint32_t limit);
// Tasks left queued or running by a daemon that stopped without finishing them.
std::vector<TaskRow> unfinished_tasks(sqlite::Database& db);

void add_tenant_tokens(sqlite::Database& db, const std::string& tenant, const std::string& day,
                       uint64_t tokens);
std::map<std::string, uint64_t> tenant_tokens(sqlite::Database& db, const std::string& day);

// Deletes tasks (and their events) that finished before `cutoff`; returns their ids.
std::vector<std::string> prune(sqlite::Database& db, int64_t cutoff);

}  // namespace agentd::journal_schema
