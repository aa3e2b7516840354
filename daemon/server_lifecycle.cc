// The server's slow paths: draining at SIGTERM, reloading at SIGHUP, pruning the journal.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <iostream>

#include "agents/runtime/gcc_coroutine_workaround.h"
#include "daemon/config_check.h"
#include "daemon/exec_service.h"
#include "daemon/listeners.h"
#include "daemon/server.h"
#include "daemon/task_json.h"
#include "daemon/task_manager.h"

namespace agentd {

namespace asio = boost::asio;

namespace {

// Polls `done` every 50 ms until it holds or `deadline` passes (or `stop` is set).
asio::awaitable<void> wait_until(std::function<bool()> done,
                                 std::chrono::steady_clock::time_point deadline, const bool& stop) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!done() && !stop && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(50));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

}  // namespace

asio::awaitable<void> Server::drain() {
  using Clock = std::chrono::steady_clock;
  tasks_->set_draining();
  listeners_->close();
  notifier_.stopping(status_line());
  std::cerr << "agentd: draining: " << tasks_->running() << " tasks running, up to "
            << config_.shutdown.drain.count() / 1000.0 << " s\n";
  co_await wait_until([this] { return tasks_->running() == 0; },
                      Clock::now() + config_.shutdown.drain, drain_now_);
  if (tasks_->running() > 0) {
    std::cerr << "agentd: cancelling " << tasks_->running() << " tasks still running\n";
    tasks_->cancel_all();
    const bool never = false;
    co_await wait_until([this] { return tasks_->running() == 0; },
                        Clock::now() + std::chrono::seconds(10), never);
  }
  for (auto& [id, weak] : std::map(sessions_))
    if (auto session = weak.lock()) session->close_going_away();
  const bool never = false;
  co_await wait_until([this] { return sessions_.empty(); }, Clock::now() + std::chrono::seconds(3),
                      never);
  // Closing the sessions killed their exec.run sandboxes; their runs give back GPUs and remove
  // workspaces before the loop stops.
  co_await wait_until([this] { return !exec_ || exec_->runs_in_flight() == 0; },
                      Clock::now() + std::chrono::seconds(10), never);
  if (auto flushed = co_await journal_->flush(); !flushed)
    std::cerr << "agentd: journal flush: " << flushed.error().message << "\n";
  notifier_.stop();
  prune_timer_.cancel();
  boost::system::error_code ignored;
  signals_.cancel(ignored);
  stopped_ = true;
  std::cerr << "agentd: stopped\n";
  io_.stop();
}

asio::awaitable<void> Server::reload_config() {
  notifier_.reloading();
  const std::string file = config_.file;
  // Reading and compiling policies is file work: not on the loop.
  co_await asio::post(blocking_.get_executor(), asio::use_awaitable);
  auto config = load_config(file);
  sandbox::Expected<std::shared_ptr<const PolicyRegistry>> registry =
      config ? load_policies_for(*config)
             : sandbox::Expected<std::shared_ptr<const PolicyRegistry>>(config.error());
  co_await asio::post(io_.get_executor(), asio::use_awaitable);
  if (!registry) {
    std::cerr << "agentd: reload failed, the configuration in use is unchanged:\n"
              << registry.error().message << "\n";
  } else {
    policies_ = *registry;
    tenants_ = std::make_shared<const TenantDirectory>(config->tenants);
    config_.tenants = config->tenants;
    std::cerr << "agentd: reloaded " << file << ": " << tenants_->size() << " tenants, "
              << policies_->names().size() << " policies\n";
  }
  notifier_.ready(status_line());
}

void Server::prune_journal() {
  if (config_.journal.retention_days == 0) return;
  const int64_t cutoff = now_ms() - int64_t{config_.journal.retention_days} * 86'400'000;
  asio::co_spawn(
      io_,
      [this, cutoff]() -> asio::awaitable<void> {
        auto pruned = co_await journal_->call<std::vector<std::string>>(
            [cutoff](sqlite::Database& db) { return journal_schema::prune(db, cutoff); });
        if (!pruned) {
          std::cerr << "agentd: journal prune: " << pruned.error().message << "\n";
          co_return;
        }
        if (pruned->empty()) co_return;
        // The tasks' workspaces go with them.
        co_await asio::post(blocking_.get_executor(), asio::use_awaitable);
        for (const auto& id : *pruned) {
          std::error_code ignored;
          std::filesystem::remove_all(std::filesystem::path(config_.sandbox.workspace_root) / id,
                                      ignored);
        }
        co_await asio::post(io_.get_executor(), asio::use_awaitable);
        std::cerr << "agentd: pruned " << pruned->size() << " tasks older than "
                  << config_.journal.retention_days << " days\n";
      },
      asio::detached);
  prune_timer_.expires_after(std::chrono::hours(1));
  prune_timer_.async_wait([this](boost::system::error_code error) {
    if (!error) prune_journal();
  });
}

}  // namespace agentd
