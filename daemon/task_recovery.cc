// Startup after a stop, clean or not (kill -9, power loss): the journal holds every task that
// was accepted. Queued tasks are queued again; running ones are marked interrupted, their
// events kept and a final task.finished event added, unless their spec asked to resume:
// those run again from the start, their sequence numbers continuing.
#include <iostream>

#include "base/log.h"
#include "daemon/task_json.h"
#include "daemon/task_manager.h"
#include "daemon/task_record.h"

namespace agentd {

using journal_schema::TaskRow;
using nlohmann::json;

base::Status TaskManager::recover(
    const std::function<std::shared_ptr<const Tenant>(const std::string&)>& tenants) {
  const int64_t now = now_ms();
  auto tokens = journal_.call_sync<std::map<std::string, uint64_t>>(
      [day = utc_day(now)](sqlite::Database& db) {
        return journal_schema::tenant_tokens(db, day);
      });
  if (!tokens) return tokens.error();
  usage_.load_tokens(utc_day(now), std::move(*tokens));
  auto rows = journal_.call_sync<std::vector<TaskRow>>(
      [](sqlite::Database& db) { return journal_schema::unfinished_tasks(db); });
  if (!rows) return rows.error();

  for (TaskRow& row : *rows) {
    auto task = std::make_shared<Task>();
    task->id = row.id;
    task->tenant = row.tenant;
    task->idempotency_key = row.idempotency_key;
    task->spec_json = parse_stored(row.spec);
    task->created_at = row.created_at;
    task->last_seq = row.last_seq;
    auto spec = agents::parse_task_spec(task->spec_json);
    auto tenant = tenants(row.tenant);
    std::string why;
    if (row.state == "running" && !row.resume)
      why = "the daemon stopped while the task was running";
    else if (!spec)
      why = "its spec no longer parses: " + spec.error().message;
    else if (!tenant)
      why = "its tenant \"" + row.tenant + "\" is no longer configured";
    if (!why.empty()) {
      agents::TaskResult interrupted;
      interrupted.error = why;
      json result = agents::to_json(interrupted);
      result["status"] = "interrupted";
      task->state = "running";  // finish() below writes the final state
      tasks_[task->id] = task;
      usage_.task_admitted(task->tenant, 0);
      metrics_.tasks.add(1, {{"state", "queued"}});
      finish(task, "interrupted", result, {});
      base::log::warning() << "task " << row.id << " interrupted: " << why;
      continue;
    }
    task->spec = std::move(*spec);
    task->policies = policies_(*tenant);
    task->agents = agents_needed(task->spec);
    usage_.task_admitted(task->tenant, task->agents);
    if (row.state == "running") {
      journal_.write([id = row.id](sqlite::Database& db) { journal_schema::set_queued(db, id); });
      base::log::info() << "task " << row.id << " resumes (its spec asked for it)";
    }
    admit(task);
  }
  return base::Ok{};
}

}  // namespace agentd
