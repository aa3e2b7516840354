#include "daemon/server.h"

#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <filesystem>
#include <iostream>

#include "base/log.h"
#include "daemon/agents_task_runner.h"
#include "daemon/config_check.h"
#include "daemon/dispatcher.h"
#include "daemon/exec_service.h"
#include "daemon/gpu_grants.h"
#include "daemon/info_methods.h"
#include "daemon/listeners.h"
#include "daemon/task_manager.h"
#include "gpu/inventory.h"
#include "repo/overlay.h"
#include "sandbox/runner.h"

#ifndef AGENTD_VERSION
#define AGENTD_VERSION "0.0.0-dev"
#endif

namespace agentd {

namespace asio = boost::asio;
using nlohmann::json;

Server::Server(asio::io_context& io, Config config, TaskRunner& task_runner,
               std::shared_ptr<sandbox::Runner> sandboxes, ServerOptions options)
    : io_(io),
      config_(std::move(config)),
      task_runner_(task_runner),
      sandboxes_(std::move(sandboxes)),
      options_(options),
      notifier_(io.get_executor()),
      signals_(io),
      prune_timer_(io) {}

Server::~Server() {
  listeners_.reset();
  blocking_.join();
  git_.join();
}

agents::PolicyLookup Server::policies_for(const Tenant& tenant) const {
  // The registry of the moment: a task keeps the policies it was admitted with.
  return [registry = policies_,
          allowed = tenant](std::string_view name) -> std::shared_ptr<const policies::Compiled> {
    return allowed.allows_policy(name) ? registry->find(name) : nullptr;
  };
}

base::Status Server::open_journal() {
  const auto parent = std::filesystem::path(config_.journal.path).parent_path();
  std::error_code error;
  if (!parent.empty()) std::filesystem::create_directories(parent, error);
  if (error)
    return base::Error{"journal.path: cannot create " + parent.string() + ": " + error.message()};
  auto journal = Journal::open({config_.journal.path, config_.journal.batch}, io_.get_executor());
  if (!journal) return journal.error();
  journal_ = std::move(*journal);
  journal_->on_commit([this](size_t operations, double seconds) {
    metrics_.journal_commit_seconds.observe(seconds);
    metrics_.journal_writes.add(static_cast<double>(operations));
  });
  return base::Ok{};
}

base::Status Server::start() {
  std::error_code error;
  std::filesystem::create_directories(config_.sandbox.workspace_root, error);
  if (error || ::chmod(config_.sandbox.workspace_root.c_str(), 0711) != 0)
    return base::Error{"sandbox.workspace_root: cannot create " + config_.sandbox.workspace_root};
  auto registry = load_policies_for(config_);
  if (!registry) return registry.error();
  policies_ = *registry;
  tenants_ = std::make_shared<const TenantDirectory>(config_.tenants);
  if (auto opened = open_journal(); !opened) return opened;
  // Before anything runs: then every exec.run workspace is a leftover, and a straggler of
  // the dead daemon is killed before its host uid (free again) is leased to a new sandbox.
  sweep_leftovers();

  TaskManagerOptions task_options{config_.limits.max_running_tasks,
                                  config_.limits.max_subscriptions, config_.roles_default,
                                  std::chrono::seconds(5)};
  tasks_ = std::make_unique<TaskManager>(
      io_.get_executor(), *journal_, task_runner_, metrics_,
      [this](const Tenant& tenant) { return policies_for(tenant); }, task_options);
  if (auto* agents_runner = dynamic_cast<AgentsTaskRunner*>(&task_runner_))
    agents_runner->set_blocking(git_.get_executor());
  // Repository tasks' worktree overlays that a daemon which died left mounted.
  if (auto unmounted = repo::unmount_overlays_under(config_.sandbox.workspace_root); !unmounted)
    base::log::warning() << unmounted.error().message;
  auto recovered =
      tasks_->recover([this](const std::string& name) { return tenants_->find(name); });
  if (!recovered) return recovered;

  exec_ = std::make_unique<ExecService>(
      io_.get_executor(), blocking_.get_executor(), sandboxes_, config_.sandbox.workspace_root,
      [this](const Tenant& tenant) { return policies_for(tenant); }, tasks_->usage(), metrics_);
  ServerFacts facts{AGENTD_VERSION, "none", json::array(), config_.limits};
  if (sandboxes_)
    facts.cgroup_version =
        sandboxes_->cgroup_version() == sandbox::cgroup::Version::v2 ? "v2" : "v1";
  if (options_.discover_gpus) {
    gpu::Inventory inventory = gpu::discover(gpu_discovery(config_.gpu));
    facts.gpus = gpu::to_json(inventory).value("gpus", json::array());
    // Only exec.run and the agents runner run sandboxes (tests' scripted runners do not).
    auto grants =
        sandboxes_ ? grant_gpus(io_.get_executor(), std::move(inventory), config_.gpu) : nullptr;
    if (grants) {
      metrics_.set_gpu_source([weak = std::weak_ptr<GpuGrants>(grants)] {
        auto alive = weak.lock();
        return alive ? std::optional(alive->metrics()) : std::nullopt;
      });
      if (auto* agents_runner = dynamic_cast<AgentsTaskRunner*>(&task_runner_))
        agents_runner->set_gpus(grants);
      exec_->set_gpus(std::move(grants));
    }
  }
  info_ = std::make_unique<InfoMethods>([this] { return policies_; }, std::move(facts));
  dispatcher_ = std::make_unique<Dispatcher>(
      *tasks_, *exec_, *info_, [this](std::string_view name) { return tenants_->find(name); },
      metrics_, config_.limits.max_batch);

  auto listeners = Listeners::open(io_.get_executor(), config_.listen, config_.tls, *this);
  if (!listeners) return listeners.error();
  listeners_ = std::move(*listeners);
  if (options_.handle_signals) handle_signals();
  prune_journal();
  notifier_.ready(status_line());
  notifier_.start_watchdog([this] { return status_line(); });
  base::log::info() << "serving (" << status_line() << ")";
  return base::Ok{};
}

uint16_t Server::tcp_port() const {
  return listeners_ ? listeners_->tcp_port() : 0;
}

std::string Server::status_line() const {
  const size_t running = tasks_ ? tasks_->running() : 0;
  const size_t queued = tasks_ ? tasks_->unfinished() - running : 0;
  return std::string(draining_ ? "draining" : "serving") + ": " + std::to_string(sessions_.size()) +
         " connections, " + std::to_string(running) + " tasks running, " + std::to_string(queued) +
         " queued";
}

std::string Server::metrics_text() {
  if (journal_) metrics_.journal_queue.set(static_cast<double>(journal_->queued()));
  return metrics_.render();
}

std::shared_ptr<const Tenant> Server::authenticate(std::string_view token) const {
  return tenants_->authenticate(token);
}

bool Server::acquire_connection(const std::string& tenant) {
  uint32_t& open = connections_[tenant];
  if (open >= config_.limits.connections_per_tenant) return false;
  ++open;
  return true;
}

void Server::release_connection(const std::string& tenant) {
  auto it = connections_.find(tenant);
  if (it == connections_.end()) return;
  if (--it->second == 0) connections_.erase(it);
}

void Server::session_opened(uint64_t peer_id, std::weak_ptr<SessionControl> session) {
  sessions_[peer_id] = std::move(session);
}

void Server::session_closed(uint64_t peer_id) {
  sessions_.erase(peer_id);
  if (tasks_) tasks_->drop_peer(peer_id);
  if (exec_) exec_->cancel_peer(peer_id);
}

void Server::handle_signals() {
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGHUP);
  signals_.async_wait([this](boost::system::error_code error, int signal) {
    if (error) return;
    if (signal == SIGHUP)
      reload();
    else
      shutdown();
    if (!stopped_) handle_signals();
  });
}

void Server::shutdown() {
  if (draining_) {
    drain_now_ = true;
    return;
  }
  draining_ = true;
  asio::co_spawn(io_, drain(), asio::detached);
}

void Server::reload() {
  asio::co_spawn(io_, reload_config(), asio::detached);
}

}  // namespace agentd
