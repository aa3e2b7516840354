#include "daemon/journal_schema.h"

namespace agentd::journal_schema {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tasks (
  n INTEGER PRIMARY KEY AUTOINCREMENT,  -- submission order, for listing
  id TEXT NOT NULL UNIQUE,
  tenant TEXT NOT NULL,
  idempotency_key TEXT,
  state TEXT NOT NULL,
  pattern TEXT NOT NULL,
  prompt_preview TEXT NOT NULL,
  spec TEXT NOT NULL,
  result TEXT,
  usage TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  resume INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS tasks_idempotency ON tasks (tenant, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS tasks_by_tenant ON tasks (tenant, n);
CREATE INDEX IF NOT EXISTS tasks_unfinished ON tasks (state) WHERE finished_at IS NULL;
CREATE INDEX IF NOT EXISTS tasks_by_finish ON tasks (finished_at) WHERE finished_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS events (
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  params TEXT NOT NULL,  -- the task.event params, sent as they are on replay
  PRIMARY KEY (task_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tenant_usage (
  tenant TEXT NOT NULL,
  day TEXT NOT NULL,
  tokens INTEGER NOT NULL,
  PRIMARY KEY (tenant, day)
) WITHOUT ROWID;
PRAGMA user_version = 1;
)sql";

constexpr const char* kTaskColumns =
    "id, tenant, idempotency_key, state, pattern, prompt_preview, spec, result, usage, "
    "created_at, started_at, finished_at, resume, "
    "(SELECT COALESCE(MAX(seq), 0) FROM events WHERE task_id = tasks.id)";

TaskRow read_task(const sqlite::Statement& s) {
  TaskRow row;
  row.id = s.text(0);
  row.tenant = s.text(1);
  if (!s.is_null(2)) row.idempotency_key = s.text(2);
  row.state = s.text(3);
  row.pattern = s.text(4);
  row.prompt_preview = s.text(5);
  row.spec = s.text(6);
  row.result = s.text(7);
  row.usage = s.text(8);
  row.created_at = s.integer(9);
  row.started_at = s.optional_integer(10);
  row.finished_at = s.optional_integer(11);
  row.resume = s.integer(12) != 0;
  row.last_seq = static_cast<uint64_t>(s.integer(13));
  return row;
}

std::string select_tasks(const char* where_and_order) {
  return std::string("SELECT ") + kTaskColumns + " FROM tasks " + where_and_order;
}

}  // namespace

void create(sqlite::Database& db) {
  db.exec(kSchema);
}

InsertOutcome insert_task(sqlite::Database& db, const TaskRow& row) {
  auto& insert = db.prepare(
      "INSERT OR IGNORE INTO tasks (id, tenant, idempotency_key, state, pattern, prompt_preview, "
      "spec, created_at, resume) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  insert.bind(1, row.id).bind(2, row.tenant).bind_optional(3, row.idempotency_key);
  insert.bind(4, row.state).bind(5, row.pattern).bind(6, row.prompt_preview).bind(7, row.spec);
  insert.bind(8, row.created_at).bind(9, int64_t{row.resume});
  insert.run();
  if (db.changes() == 1) return InsertOutcome{true, row.id, row.state};
  auto& existing =
      db.prepare("SELECT id, state FROM tasks WHERE tenant = ?1 AND idempotency_key = ?2");
  existing.bind(1, row.tenant).bind_optional(2, row.idempotency_key);
  if (!existing.step()) throw sqlite::Failure("task " + row.id + " was not inserted");
  return InsertOutcome{false, existing.text(0), existing.text(1)};
}

void set_running(sqlite::Database& db, const std::string& id, int64_t started_at) {
  auto& s = db.prepare("UPDATE tasks SET state = 'running', started_at = ?2 WHERE id = ?1");
  s.bind(1, id).bind(2, started_at).run();
}

void set_queued(sqlite::Database& db, const std::string& id) {
  auto& s = db.prepare("UPDATE tasks SET state = 'queued', started_at = NULL WHERE id = ?1");
  s.bind(1, id).run();
}

void finish_task(sqlite::Database& db, const std::string& id, const std::string& state,
                 const std::string& result, const std::string& usage, int64_t finished_at) {
  auto& s = db.prepare(
      "UPDATE tasks SET state = ?2, result = ?3, usage = ?4, finished_at = ?5 WHERE id = ?1");
  s.bind(1, id).bind(2, state).bind(3, result).bind(4, usage).bind(5, finished_at).run();
}

void append_event(sqlite::Database& db, const EventRow& event) {
  auto& s = db.prepare(
      "INSERT INTO events (task_id, seq, type, agent_id, at, params) VALUES (?1, ?2, ?3, ?4, ?5, "
      "?6)");
  s.bind(1, event.task_id).bind(2, static_cast<int64_t>(event.seq)).bind(3, event.type);
  s.bind(4, event.agent_id).bind(5, event.at).bind(6, event.params).run();
}

std::optional<TaskRow> get_task(sqlite::Database& db, const std::string& id) {
  static const std::string sql = select_tasks("WHERE id = ?1");
  auto& s = db.prepare(sql.c_str());
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_task(s);
}

std::vector<TaskRow> list_tasks(sqlite::Database& db, const std::string& tenant,
                                const std::optional<std::string>& state, uint32_t limit,
                                const std::optional<std::string>& before) {
  static const std::string sql = select_tasks(
      "WHERE tenant = ?1 AND (?2 IS NULL OR state = ?2) AND "
      "(?3 IS NULL OR n < (SELECT n FROM tasks WHERE id = ?3 AND tenant = ?1)) "
      "ORDER BY n DESC LIMIT ?4");
  auto& s = db.prepare(sql.c_str());
  s.bind(1, tenant).bind_optional(2, state).bind_optional(3, before);
  s.bind(4, int64_t{limit} + 1);
  std::vector<TaskRow> rows;
  while (s.step()) rows.push_back(read_task(s));
  return rows;
}

std::vector<EventRow> events(sqlite::Database& db, const std::string& task_id, uint64_t after,
                             uint64_t upto, uint32_t limit) {
  auto& s = db.prepare(
      "SELECT seq, type, agent_id, at, params FROM events WHERE task_id = ?1 AND seq > ?2 AND "
      "seq <= ?3 ORDER BY seq LIMIT ?4");
  s.bind(1, task_id).bind(2, static_cast<int64_t>(after));
  s.bind(3, static_cast<int64_t>(std::min<uint64_t>(upto, INT64_MAX))).bind(4, int64_t{limit});
  std::vector<EventRow> rows;
  while (s.step())
    rows.push_back(EventRow{task_id, static_cast<uint64_t>(s.integer(0)), s.text(1), s.text(2),
                            s.integer(3), s.text(4)});
  return rows;
}

std::vector<TaskRow> unfinished_tasks(sqlite::Database& db) {
  static const std::string sql = select_tasks("WHERE finished_at IS NULL ORDER BY n");
  auto& s = db.prepare(sql.c_str());
  std::vector<TaskRow> rows;
  while (s.step()) rows.push_back(read_task(s));
  return rows;
}

void add_tenant_tokens(sqlite::Database& db, const std::string& tenant, const std::string& day,
                       uint64_t tokens) {
  auto& s = db.prepare(
      "INSERT INTO tenant_usage (tenant, day, tokens) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (tenant, day) DO UPDATE SET tokens = tokens + excluded.tokens");
  s.bind(1, tenant).bind(2, day).bind(3, static_cast<int64_t>(tokens)).run();
}

std::map<std::string, uint64_t> tenant_tokens(sqlite::Database& db, const std::string& day) {
  auto& s = db.prepare("SELECT tenant, tokens FROM tenant_usage WHERE day = ?1");
  s.bind(1, day);
  std::map<std::string, uint64_t> tokens;
  while (s.step()) tokens[s.text(0)] = static_cast<uint64_t>(s.integer(1));
  return tokens;
}

std::vector<std::string> prune(sqlite::Database& db, int64_t cutoff) {
  auto& select = db.prepare("SELECT id FROM tasks WHERE finished_at < ?1");
  select.bind(1, cutoff);
  std::vector<std::string> ids;
  while (select.step()) ids.push_back(select.text(0));
  auto& remove = db.prepare("DELETE FROM tasks WHERE finished_at < ?1");  // events cascade
  remove.bind(1, cutoff).run();
  auto& usage = db.prepare("DELETE FROM tenant_usage WHERE day < date(?1 / 1000, 'unixepoch')");
  usage.bind(1, cutoff).run();
  return ids;
}

}  // namespace agentd::journal_schema
