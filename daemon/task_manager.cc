#include "daemon/task_manager.h"

#include <sys/stat.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

#include "base/coroutine_warning.h"
#include "base/log.h"
#include "base/random_id.h"
#include "daemon/params.h"
#include "daemon/task_json.h"
#include "daemon/task_record.h"

AGENTD_COROUTINE_FRAMES_BEGIN  // base/coroutine_warning.h says why

    namespace agentd {
  namespace asio = boost::asio;
  using nlohmann::json;

  namespace {

  // Fills what the spec's roles leave out from the configuration's roles_default (the role's
  // own entry, then "*").
  json with_role_defaults(json spec, const json& defaults) {
    if (!spec.is_object() || !defaults.is_object()) return spec;
    auto roles = spec.find("roles");
    if (roles == spec.end() || !roles->is_object()) return spec;
    for (auto& [role, value] : roles->items()) {
      if (!value.is_object()) continue;
      for (const char* key : {"model", "policy", "system_prompt"}) {
        if (value.contains(key)) continue;
        for (const std::string& source : {role, std::string("*")}) {
          auto fallback = defaults.find(source);
          if (fallback != defaults.end() && fallback->contains(key)) {
            value[key] = (*fallback)[key];
            break;
          }
        }
      }
    }
    return spec;
  }

  // "/roles/worker/model: expected a non-empty string" → -32602 at /spec/roles/worker/model
  // expecting "a non-empty string" ("/" and "" name the spec itself); "/roles/x: unknown role for
  // vote; expected one of: voter" → at /spec/roles/x expecting "one of: voter".
  rpc::Failure spec_failure(const std::string& message) {
    std::string pointer;
    std::string expected = message;
    const size_t colon = message.find(": ");
    if (!message.empty() && message.front() == '/' && colon != std::string::npos) {
      pointer = message.substr(0, colon);
      expected = message.substr(colon + 2);
    }
    if (pointer == "/") pointer.clear();
    if (expected.rfind("expected ", 0) == 0)
      return rpc::invalid_params_at("/spec" + pointer, expected.substr(9));
    // "unknown field; expected one of: a, b" keeps its wording; data.expected is "one of: a, b".
    const size_t because = expected.find("; expected ");
    if (because == std::string::npos) return rpc::invalid_params_at("/spec" + pointer, expected);
    return invalid_params_because("/spec" + pointer, expected.substr(0, because),
                                  expected.substr(because + 11));
  }

  rpc::Failure repository_not_allowed(const std::string& path, const std::string& why) {
    return rpc::Failure{rpc::policy_not_allowed,
                        "repository \"" + path + "\" is not allowed for this tenant: " + why,
                        json{{"repository", path}, {"path", "/spec/repository/path"}}};
  }

  // A repository on the daemon's host is used only where the operator's configuration lists
  // it for the tenant, and what is held against the globs is where the path really leads
  // (realpath), so that a symlink inside an allowed tree cannot lead out of it. The spec then
  // keeps the canonical path: the journal and a resumed task use what was checked. Whether a
  // path exists is said only for paths inside an allowed tree, so that the answer is no way to
  // explore the host.
  std::optional<rpc::Failure> check_repository(const Tenant& tenant,
                                               agents::RepositorySpec& repository) {
    if (!repository.bundle.empty() && repository.bundle.size() > tenant.max_bundle_bytes)
      return rpc::invalid_params_at(
          "/spec/repository/bundle",
          "a git bundle of at most " + std::to_string(tenant.max_bundle_bytes) +
              " bytes (the server's repositories.max_bundle_bytes), got " +
              std::to_string(repository.bundle.size()));
    if (repository.path.empty()) return std::nullopt;
    const std::string& given = repository.path;
    const std::string unlisted = "the operator's configuration does not list it for this tenant";
    if (tenant.repositories.empty())
      return repository_not_allowed(given, unlisted + " (it lists no repository for it)");
    std::unique_ptr<char, decltype(&std::free)> resolved(realpath(given.c_str(), nullptr),
                                                         &std::free);
    const int resolve_errno = errno;
    // Without "..", so that "/allowed/../../elsewhere" is not taken for a path inside.
    std::string lexical = std::filesystem::path(given).lexically_normal().string();
    if (lexical.size() > 1 && lexical.back() == '/') lexical.pop_back();
    if (!resolved) {
      if (!tenant.allows_repository(lexical)) return repository_not_allowed(given, unlisted);
      return invalid_params_because(
          "/spec/repository/path",
          "\"" + given + "\"" +
              (resolve_errno == ENOENT ? std::string(" does not exist on the daemon's host")
                                       : " cannot be reached by the daemon: " +
                                             std::string(std::strerror(resolve_errno))),
          "the path of a git repository on the daemon's host");
    }
    const std::string canonical = resolved.get();
    if (!tenant.allows_repository(canonical))
      return repository_not_allowed(
          given, tenant.allows_repository(lexical)
                     ? "it leads (through a symbolic link) out of the directories the "
                       "operator's configuration lists for this tenant"
                     : unlisted);
    struct stat info {};
    if (stat(canonical.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
      return invalid_params_because("/spec/repository/path", "\"" + given + "\" is not a directory",
                                    "the path of a git repository on the daemon's host");
    repository.path = canonical;
    return std::nullopt;
  }

  uint64_t count_field(const json& data, const char* key) {
    auto it = data.find(key);
    return it != data.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
  }

  std::string final_state(agents::TaskStatus status) {
    return std::string(agents::to_string(status));
  }

  }  // namespace

  TaskManager::TaskManager(const asio::any_io_executor& executor, Journal& journal,
                           TaskRunner& runner, DaemonMetrics& metrics, TenantPolicies policies,
                           TaskManagerOptions options)
      : executor_(executor),
        journal_(journal),
        runner_(runner),
        metrics_(metrics),
        policies_(std::move(policies)),
        options_(std::move(options)),
        hub_(executor, journal) {}

  TaskManager::~TaskManager() = default;

  asio::awaitable<Reply> TaskManager::submit(Tenant tenant, json params) {
    if (draining_)
      co_return Reply::error(rpc::draining, "the server is shutting down; submit again later");
    Params p(params, {"spec", "idempotency_key"});
    const json* spec_json = p.find("spec");
    if (!spec_json) p.fail("spec", "a task spec object");
    auto key = p.optional_string("idempotency_key", 256);
    if (p.failure()) co_return Reply::error(*p.failure());

    json merged = with_role_defaults(*spec_json, options_.roles_default);
    auto spec = agents::parse_task_spec(merged);
    if (!spec) co_return Reply::error(spec_failure(spec.error().message));
    for (const auto& [role, role_spec] : spec->roles)
      if (!tenant.allows_policy(role_spec.policy))
        co_return Reply::error(
            rpc::policy_not_allowed,
            "policy \"" + role_spec.policy + "\" is not allowed for this tenant",
            json{{"policy", role_spec.policy}, {"path", "/spec/roles/" + role + "/policy"}});
    if (spec->repository)
      if (auto refused = check_repository(tenant, *spec->repository))
        co_return Reply::error(*refused);
    agents::PolicyLookup lookup = policies_(tenant);
    if (auto checked = runner_.check(*spec, lookup); !checked)
      co_return Reply::error(spec_failure(checked.error().message));
    const int64_t now = now_ms();
    const uint32_t agents = agents_needed(*spec);
    if (auto refused = usage_.admit_task(tenant, agents, now)) co_return Reply::error(*refused);
    if (auto left = usage_.tokens_left(tenant, now))
      spec->budgets.tokens = spec->budgets.tokens ? std::min(spec->budgets.tokens, *left) : *left;

    auto task = std::make_shared<Task>();
    task->id = base::random_id("t-", 16);
    task->tenant = tenant.name;
    task->idempotency_key = key;
    task->spec = std::move(*spec);
    task->spec_json = agents::to_json(task->spec);
    task->policies = std::move(lookup);
    task->agents = agents;
    task->created_at = now;
    // Held before the journal is awaited, so that concurrent submissions cannot all pass.
    usage_.task_admitted(tenant.name, agents);
    std::function<journal_schema::InsertOutcome(sqlite::Database&)> insert =
        [row = row_of(*task)](sqlite::Database& db) {
          return journal_schema::insert_task(db, row);
        };
    auto inserted = co_await journal_.call(std::move(insert));
    if (!inserted || !inserted->inserted) {
      usage_.task_ended(tenant.name, agents);
      if (!inserted) {
        base::log::error() << "journal: " << inserted.error().message;
        co_return Reply::error(rpc::internal_error,
                               "internal error: the task could not be recorded");
      }
      co_return Reply::ok(json{{"task_id", inserted->id}, {"state", inserted->state}});
    }
    admit(task);
    co_return Reply::ok(json{{"task_id", task->id}, {"state", "queued"}});
  }

  void TaskManager::admit(TaskPtr task) {
    tasks_[task->id] = task;
    task->control = std::make_shared<agents::TaskControl>();
    metrics_.tasks.add(1, {{"state", "queued"}});
    set_state(task, "queued");
    queue_.push_back(std::move(task));
    start_queued();
  }

  void TaskManager::start_queued() {
    while (!draining_ && running_ < options_.max_running_tasks && !queue_.empty()) {
      TaskPtr task = queue_.front();
      queue_.pop_front();
      start(std::move(task));
    }
  }

  void TaskManager::start(TaskPtr task) {  // NOLINT(performance-unnecessary-value-param)
    ++running_;
    task->started_at = now_ms();
    metrics_.tasks.add(-1, {{"state", "queued"}});
    metrics_.tasks.add(1, {{"state", "running"}});
    journal_.write([id = task->id, at = *task->started_at](sqlite::Database& db) {
      journal_schema::set_running(db, id, at);
    });
    set_state(task, "running");
    asio::co_spawn(executor_, run(task),
                   asio::bind_cancellation_slot(task->cancel_signal.slot(), asio::detached));
  }

  asio::awaitable<void> TaskManager::run(TaskPtr task) {
    agents::TaskResult result;
    try {
      result = co_await runner_.run(task->spec, task->id, task->tenant, task->control,
                                    task->policies, *this);
    } catch (const boost::system::system_error& error) {
      result.status = error.code() == asio::error::operation_aborted ? agents::TaskStatus::cancelled
                                                                     : agents::TaskStatus::failed;
      result.error =
          result.status == agents::TaskStatus::cancelled ? "cancelled" : "internal error";
      if (result.status == agents::TaskStatus::failed)
        base::log::error() << "task " << task->id << ": " << error.what();
    } catch (const std::exception& error) {
      result.status = agents::TaskStatus::failed;
      result.error = "internal error";
      base::log::error() << "task " << task->id << ": " << error.what();
    }
    finish(task, final_state(result.status), agents::to_json(result), result.usage);
  }

  void TaskManager::set_state(const TaskPtr& task, const std::string& state) {
    task->state = state;
    agents::Event event;
    event.type = "task.state";
    event.task_id = task->id;
    event.data = json{{"state", state}};
    record_event(*task, event, false);
  }

  uint64_t TaskManager::record_event(Task & task, const agents::Event& event, bool final) {
    const uint64_t seq = ++task.last_seq;
    const int64_t at =
        std::chrono::duration_cast<std::chrono::milliseconds>(event.at.time_since_epoch()).count();
    std::string params =
        event_params_text(task.id, seq, event.type, event.agent_id, at, event.data);
    auto frame = event_frame(params);
    journal_.write([row = journal_schema::EventRow{task.id, seq, event.type, event.agent_id, at,
                                                   std::move(params)}](sqlite::Database& db) {
      journal_schema::append_event(db, row);
    });
    hub_.publish(task.id, seq, frame, final);
    return seq;
  }

  void TaskManager::emit(agents::Event event) {
    auto it = tasks_.find(event.task_id);
    // Late events of a task that has ended, and the runtime's own task.finished: the daemon's
    // task.finished (with the final state and result) is the last event of every task.
    if (it == tasks_.end() || event.type == "task.finished") return;
    Task& task = *it->second;
    if (event.type == "agent.started") task.running_agents.insert(event.agent_id);
    if (event.type == "agent.finished") task.running_agents.erase(event.agent_id);
    if (event.type == "llm.usage") {
      task.usage.prompt_tokens += count_field(event.data, "prompt_tokens");
      task.usage.completion_tokens += count_field(event.data, "completion_tokens");
      task.usage.cached_tokens += count_field(event.data, "cached_tokens");
      task.usage.reasoning_tokens += count_field(event.data, "reasoning_tokens");
      if (auto cost = event.data.find("cost_usd"); cost != event.data.end() && cost->is_number())
        task.usage.cost_usd += cost->get<double>();
      task.usage.requests += 1;
    }
    metrics_.observe(event);
    record_event(task, event, false);
  }

  // NOLINTNEXTLINE(performance-unnecessary-value-param): see task_manager.h
  void TaskManager::finish(TaskPtr task, const std::string& state, const json& result,
                           const agents::llm::Usage& usage) {
    if (task->finished) return;
    task->finished = true;
    const bool was_running = task->started_at.has_value();
    if (was_running) --running_;
    metrics_.tasks.add(-1, {{"state", was_running ? "running" : "queued"}});
    metrics_.forget_task(task->id);
    usage_.task_ended(task->tenant, task->agents);
    tasks_.erase(task->id);
    std::erase(queue_, task);
    if (!task->abandoned) {
      const int64_t now = now_ms();
      task->state = state;
      journal_.write([id = task->id, state, result = rpc::dump(result),
                      usage = rpc::dump(usage_json(usage)), now](sqlite::Database& db) {
        journal_schema::finish_task(db, id, state, result, usage, now);
      });
      if (usage.total_tokens() > 0) {
        usage_.add_tokens(task->tenant, usage.total_tokens(), now);
        journal_.write([tenant = task->tenant, day = utc_day(now),
                        tokens = usage.total_tokens()](sqlite::Database& db) {
          journal_schema::add_tenant_tokens(db, tenant, day, tokens);
        });
      }
      agents::Event event;
      event.type = "task.finished";
      event.task_id = task->id;
      event.data = json{{"state", state}, {"result", result}};
      record_event(*task, event, true);
      metrics_.tasks_finished.add(1, {{"state", state}});
      if (task->started_at)
        metrics_.task_seconds.observe(static_cast<double>(now - *task->started_at) / 1000.0);
    }
    for (auto* waiter : task->waiters) waiter->cancel();
    start_queued();
  }

  asio::awaitable<Reply> TaskManager::cancel(Tenant tenant, json params) {
    Params p(params, {"task_id"});
    const std::string id = p.string("task_id", 128);
    if (p.failure()) co_return Reply::error(*p.failure());
    TaskPtr task = find_own(tenant, id);
    if (!task) {
      auto row = co_await load_own(tenant.name, id);
      if (!row) co_return Reply::error(rpc::task_not_found, "task not found: " + id);
      co_return Reply::error(rpc::task_finished, "task " + id + " already finished: " + row->state,
                             json{{"state", row->state}});
    }
    if (!task->started_at) {
      agents::TaskResult cancelled;
      cancelled.status = agents::TaskStatus::cancelled;
      cancelled.error = "cancelled before it started";
      finish(task, "cancelled", agents::to_json(cancelled), {});
      co_return Reply::ok(json{{"task_id", id}, {"state", task->state}});
    }
    task->control->cancel();
    task->cancel_signal.emit(asio::cancellation_type::terminal);
    asio::steady_timer wait(executor_, options_.cancel_wait);
    task->waiters.push_back(&wait);
    co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    std::erase(task->waiters, &wait);
    co_return Reply::ok(json{{"task_id", id}, {"state", task->state}});
  }

  void TaskManager::cancel_all() {
    std::vector<TaskPtr> running;
    for (auto& [id, task] : tasks_)
      if (task->started_at) running.push_back(task);
    for (auto& task : running) {
      // A task that asked to be resumed stays running in the journal for the next daemon.
      task->abandoned = task->spec.resume;
      task->control->cancel();
      task->cancel_signal.emit(asio::cancellation_type::terminal);
    }
  }

  AGENTD_COROUTINE_FRAMES_END

}  // namespace agentd
