// TaskManager: every task from submission to its final event. A submission is validated
// (spec, the tenant's policies and quotas), made durable in the journal, answered, then run
// by the TaskRunner when a slot is free. As the EventSink of every task it gives each event
// the task's next sequence number (from 1, gapless), journals it and fans it out to the
// task's subscribers. A tenant only ever sees its own tasks: another tenant's task id is
// answered exactly like an unknown one. Loop thread only. The coroutines take their arguments
// by value, so that nothing they hold is a caller's temporary gone at the first suspension.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agents/events.h"
#include "agents/task.h"
#include "daemon/daemon_metrics.h"
#include "daemon/journal.h"
#include "daemon/journal_schema.h"
#include "daemon/peer.h"
#include "daemon/reply.h"
#include "daemon/subscriptions.h"
#include "daemon/task_runner.h"
#include "daemon/tenant_usage.h"
#include "daemon/tenants.h"

namespace agentd {

struct TaskManagerOptions {
  uint32_t max_running_tasks = 64;
  uint32_t max_subscriptions = 256;  // per peer
  nlohmann::json roles_default = nlohmann::json::object();
  std::chrono::milliseconds cancel_wait{5'000};  // task.cancel waits this long for the end
};

// The policies a tenant may use, for its tasks and exec.run.
using TenantPolicies = std::function<agents::PolicyLookup(const Tenant&)>;

class TaskManager : public agents::EventSink {
 public:
  TaskManager(const boost::asio::any_io_executor& executor, Journal& journal, TaskRunner& runner,
              DaemonMetrics& metrics, TenantPolicies policies, TaskManagerOptions options);
  ~TaskManager() override;

  // Startup, before serving: tasks the previous daemon left queued are queued again, running
  // ones are marked interrupted (a task.finished event says so) unless their spec asked to
  // resume. Also loads today's token counts. Blocks on the journal.
  base::Status recover(
      const std::function<std::shared_ptr<const Tenant>(const std::string&)>& tenants);

  boost::asio::awaitable<Reply> submit(Tenant tenant, nlohmann::json params);
  boost::asio::awaitable<Reply> get(Tenant tenant, nlohmann::json params);
  boost::asio::awaitable<Reply> list(Tenant tenant, nlohmann::json params);
  boost::asio::awaitable<Reply> cancel(Tenant tenant, nlohmann::json params);
  boost::asio::awaitable<Reply> feedback(Tenant tenant, nlohmann::json params);
  boost::asio::awaitable<Reply> subscribe(Tenant tenant, nlohmann::json params,
                                          std::shared_ptr<Peer> peer);
  boost::asio::awaitable<Reply> unsubscribe(Tenant tenant, nlohmann::json params, uint64_t peer_id);
  void drop_peer(uint64_t peer_id) { hub_.drop_peer(peer_id); }

  void emit(agents::Event event) override;

  // Shutdown: stop admitting and starting tasks (queued ones stay queued in the journal for
  // the next daemon), then cancel what still runs; tasks whose spec asked to resume are left
  // running in the journal instead.
  void set_draining() { draining_ = true; }
  size_t unfinished() const { return tasks_.size(); }
  size_t running() const { return running_; }
  void cancel_all();

  TenantUsage& usage() { return usage_; }

 private:
  struct Task;
  using TaskPtr = std::shared_ptr<Task>;

  TaskPtr find_own(const Tenant& tenant, const std::string& id) const;
  boost::asio::awaitable<std::optional<journal_schema::TaskRow>> load_own(std::string tenant,
                                                                          std::string id);
  void admit(TaskPtr task);
  void start_queued();
  // start and finish take the task by value: they update the containers (queue_, tasks_) where
  // the caller's pointer may live.
  void start(TaskPtr task);  // NOLINT(performance-unnecessary-value-param)
  boost::asio::awaitable<void> run(TaskPtr task);
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  void finish(TaskPtr task, const std::string& state, const nlohmann::json& result,
              const agents::llm::Usage& usage);
  uint64_t record_event(Task& task, const agents::Event& event, bool final);
  void set_state(const TaskPtr& task, const std::string& state);
  journal_schema::TaskRow row_of(const Task& task) const;

  boost::asio::any_io_executor executor_;
  Journal& journal_;
  TaskRunner& runner_;
  DaemonMetrics& metrics_;
  TenantPolicies policies_;
  TaskManagerOptions options_;
  SubscriptionHub hub_;
  TenantUsage usage_;
  std::map<std::string, TaskPtr> tasks_;  // queued and running
  std::deque<TaskPtr> queue_;
  size_t running_ = 0;
  bool draining_ = false;
};

}  // namespace agentd
