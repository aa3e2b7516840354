// TaskManager's read side and what follows tasks: task.get, task.list, task.feedback,
// task.subscribe, task.unsubscribe. Unfinished tasks are answered from memory, the others
// from the journal (whose queue holds every write made before the read).
#include <algorithm>
#include <boost/asio/use_awaitable.hpp>

#include "base/coroutine_warning.h"
#include "daemon/params.h"
#include "daemon/task_json.h"
#include "daemon/task_manager.h"
#include "daemon/task_record.h"

AGENTD_COROUTINE_FRAMES_BEGIN  // base/coroutine_warning.h says why

    namespace agentd {
  namespace asio = boost::asio;
  using journal_schema::TaskRow;
  using nlohmann::json;

  namespace {

  constexpr const char* kStates[] = {"queued",    "running",     "succeeded",       "failed",
                                     "cancelled", "interrupted", "budget_exhausted"};

  Reply not_found(const std::string& id) {
    return Reply::error(rpc::task_not_found, "task not found: " + id);
  }

  }  // namespace

  TaskManager::TaskPtr TaskManager::find_own(const Tenant& tenant, const std::string& id) const {
    auto it = tasks_.find(id);
    // Another tenant's task is exactly as absent as a task that does not exist.
    if (it == tasks_.end() || it->second->tenant != tenant.name) return nullptr;
    return it->second;
  }

  asio::awaitable<std::optional<TaskRow>> TaskManager::load_own(std::string tenant,
                                                                std::string id) {
    std::function<std::optional<TaskRow>(sqlite::Database&)> read = [id](sqlite::Database& db) {
      return journal_schema::get_task(db, id);
    };
    auto row = co_await journal_.call(std::move(read));
    if (!row || !*row || (*row)->tenant != tenant) co_return std::nullopt;
    co_return std::move(**row);
  }

  TaskRow TaskManager::row_of(const Task& task) const {
    TaskRow row;
    row.id = task.id;
    row.tenant = task.tenant;
    row.idempotency_key = task.idempotency_key;
    row.state = task.state;
    row.pattern = std::string(agents::to_string(task.spec.pattern));
    row.prompt_preview = prompt_preview(task.spec.prompt);
    row.spec = rpc::dump(task.spec_json);
    row.usage = rpc::dump(usage_json(task.usage));
    row.created_at = task.created_at;
    row.started_at = task.started_at;
    row.resume = task.spec.resume;
    row.last_seq = task.last_seq;
    return row;
  }

  asio::awaitable<Reply> TaskManager::get(Tenant tenant, json params) {
    Params p(params, {"task_id"});
    const std::string id = p.string("task_id", 128);
    if (p.failure()) co_return Reply::error(*p.failure());
    if (TaskPtr task = find_own(tenant, id)) co_return Reply::ok(task_details(row_of(*task)));
    auto row = co_await load_own(tenant.name, id);
    if (!row) co_return not_found(id);
    co_return Reply::ok(task_details(*row));
  }

  asio::awaitable<Reply> TaskManager::list(Tenant tenant, json params) {
    Params p(params, {"state", "limit", "before"});
    auto state = p.optional_string("state", 32);
    const auto limit = static_cast<uint32_t>(p.count("limit", 50, 1, 500));
    auto before = p.optional_string("before", 128);
    if (state && std::find(std::begin(kStates), std::end(kStates), *state) == std::end(kStates))
      p.fail("state",
             "one of queued, running, succeeded, failed, cancelled, interrupted, "
             "budget_exhausted");
    if (p.failure()) co_return Reply::error(*p.failure());
    // nullopt: `before` is not one of the tenant's tasks.
    std::function<std::optional<std::vector<TaskRow>>(sqlite::Database&)> read =
        [tenant = tenant.name, state, limit,
         before](sqlite::Database& db) -> std::optional<std::vector<TaskRow>> {
      if (before) {
        auto anchor = journal_schema::get_task(db, *before);
        if (!anchor || anchor->tenant != tenant) return std::nullopt;
      }
      return journal_schema::list_tasks(db, tenant, state, limit, before);
    };
    auto rows = co_await journal_.call(std::move(read));
    if (!rows) co_return Reply::error(rpc::internal_error, "internal error: the journal failed");
    if (!*rows) co_return not_found(*before);
    json tasks = json::array();
    json result = json::object();
    for (const TaskRow& row : **rows) {
      if (tasks.size() == limit) {
        result["next"] = tasks.back()["task_id"];
        break;
      }
      // The journal may lag memory by a queued write; memory knows the state now.
      TaskPtr live = find_own(tenant, row.id);
      tasks.push_back(task_summary(live ? row_of(*live) : row));
    }
    result["tasks"] = std::move(tasks);
    co_return Reply::ok(std::move(result));
  }

  asio::awaitable<Reply> TaskManager::feedback(Tenant tenant, json params) {
    Params p(params, {"task_id", "message", "agent_id"});
    const std::string id = p.string("task_id", 128);
    std::string message = p.string("message", 64 << 10);
    const std::string agent = p.optional_string("agent_id", 128).value_or("*");
    if (p.failure()) co_return Reply::error(*p.failure());
    TaskPtr task = find_own(tenant, id);
    if (!task) {
      auto row = co_await load_own(tenant.name, id);
      if (!row) co_return not_found(id);
      co_return Reply::error(rpc::task_finished, "task " + id + " already finished: " + row->state,
                             json{{"state", row->state}});
    }
    const bool delivered = task->control->feedback(agent, std::move(message));
    uint64_t count = 0;
    if (delivered) count = agent == "*" ? std::max<size_t>(1, task->running_agents.size()) : 1;
    co_return Reply::ok(json{{"delivered_to", count}});
  }

  asio::awaitable<Reply> TaskManager::subscribe(Tenant tenant, json params,
                                                std::shared_ptr<Peer> peer) {
    Params p(params, {"task_id", "after_seq"});
    const std::string id = p.string("task_id", 128);
    const uint64_t after = p.count("after_seq", 0, 0, uint64_t{1} << 53);
    if (p.failure()) co_return Reply::error(*p.failure());
    if (hub_.count(peer->peer_id()) >= options_.max_subscriptions)
      co_return Reply::error(
          rpc::quota_exceeded,
          "quota exceeded: subscriptions (limit " + std::to_string(options_.max_subscriptions) +
              " per connection)",
          json{{"quota", "subscriptions"}, {"limit", options_.max_subscriptions}});
    if (TaskPtr task = find_own(tenant, id)) {
      Reply reply =
          Reply::ok(json{{"task_id", id}, {"state", task->state}, {"last_seq", task->last_seq}});
      reply.after_sent = hub_.subscribe(peer, id, after, task->last_seq, true);
      co_return reply;
    }
    auto row = co_await load_own(tenant.name, id);
    if (!row) co_return not_found(id);
    // A task that is not in memory has ended: the replay is all there is.
    Reply reply =
        Reply::ok(json{{"task_id", id}, {"state", row->state}, {"last_seq", row->last_seq}});
    reply.after_sent = hub_.subscribe(peer, id, after, row->last_seq, false);
    co_return reply;
  }

  asio::awaitable<Reply> TaskManager::unsubscribe(Tenant tenant, json params, uint64_t peer_id) {
    Params p(params, {"task_id"});
    const std::string id = p.string("task_id", 128);
    if (p.failure()) co_return Reply::error(*p.failure());
    // A peer only ever holds subscriptions to its own tenant's tasks. Without one, the tenant's
    // own task is fine (its final event may have ended the subscription first); any other id
    // gets the answer an unknown one gets.
    if (hub_.unsubscribe(peer_id, id) || find_own(tenant, id)) co_return Reply::ok(json::object());
    if (!co_await load_own(tenant.name, id)) co_return not_found(id);
    co_return Reply::ok(json::object());
  }

  AGENTD_COROUTINE_FRAMES_END

}  // namespace agentd
