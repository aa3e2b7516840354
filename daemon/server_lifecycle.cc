// The server's slow paths: draining at SIGTERM, reloading at SIGHUP, pruning the journal,
// and at start removing what a daemon that died left.
#include <fcntl.h>
#include <sys/file.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "agents/runtime/task_repository.h"
#include "agents/tools/workspace_dir.h"
#include "base/coroutine_warning.h"
#include "base/log.h"
#include "daemon/config_check.h"
#include "daemon/exec_service.h"
#include "daemon/journal_schema.h"
#include "daemon/listeners.h"
#include "daemon/server.h"
#include "daemon/task_json.h"
#include "daemon/task_manager.h"
#include "sandbox/cgroup.h"

AGENTD_COROUTINE_FRAMES_BEGIN  // base/coroutine_warning.h says why

    namespace agentd {
  namespace asio = boost::asio;

  namespace {

  // Polls `done` every 50 ms until it holds or `deadline` passes (or `stop` is set).
  asio::awaitable<void> wait_until(std::function<bool()> done,
                                   std::chrono::steady_clock::time_point deadline,
                                   const bool& stop) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!done() && !stop && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(50));
      co_await timer.async_wait(asio::use_awaitable);
    }
  }

  namespace fs = std::filesystem;

  // A task's id as base::random_id("t-", 16) makes it, and so the name of its workspace directory.
  bool is_task_id(const std::string& name) {
    return name.size() == 34 && name.starts_with("t-") &&
           name.find_first_not_of("0123456789abcdef", 2) == std::string::npos;
  }

  // Sandboxes wrote these trees: removed by directory fd, never following a link they planted.
  bool remove_tree(const fs::path& path) {
    base::Status removed = agents::tools::remove_tree(path);
    if (!removed)
      base::log::error() << "remove " << path.string() << ": " << removed.error().message;
    return removed.ok();
  }

  // The task workspaces directly under `root`.
  std::vector<std::string> task_workspaces(const fs::path& root) {
    std::vector<std::string> ids;
    std::error_code error, not_a_dir;
    for (fs::directory_iterator it(root, error), end; !error && it != end; it.increment(error)) {
      std::string name = it->path().filename().string();
      if (is_task_id(name) && it->is_directory(not_a_dir)) ids.push_back(std::move(name));
    }
    return ids;
  }

  }  // namespace

  // Id leases need nothing: each is an flock, which the kernel drops with the process that held
  // it, and the lock file stays for the next lease of that id (unlinking one that another
  // process holds would let two processes lease the same id).
  void Server::sweep_leftovers() {
    if (sandboxes_) sweep_cgroups();  // tests' servers run no sandboxes
    sweep_workspaces();
  }

  void Server::sweep_cgroups() const {
    auto cgroups = sandbox::cgroup::Manager::open(config_.sandbox.cgroup_parent);
    if (!cgroups) {
      base::log::error() << "cannot look for sandbox cgroups left by dead processes: "
                         << cgroups.error().message;
      return;
    }
    const sandbox::cgroup::Sweep sweep = (*cgroups)->sweep_orphans();
    for (const auto& [owner, count] : sweep.removed)
      base::log::info() << "removed " << count << " sandbox cgroups left by dead process " << owner;
    if (sweep.killed > 0)
      base::log::info() << "killed " << sweep.killed
                        << " processes still running in sandbox cgroups of dead processes";
    for (const auto& error : sweep.errors) base::log::error() << "" << error;
  }

  // exec.run workspaces live as long as their run, so at start every one is a dead daemon's. A
  // task's workspace lives as long as the task's journal row (pruning removes both), so only
  // one whose task the journal no longer has is left over; resumable and finished tasks keep
  // theirs. Another daemon on the same workspace_root would lose its live workspaces: the
  // lock, held while a daemon runs, says whether one does.
  void Server::sweep_workspaces() {
    const fs::path root = config_.sandbox.workspace_root;
    const std::string lock = (root / ".lock").string();
    workspace_lock_.reset(::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!workspace_lock_ || ::flock(workspace_lock_.get(), LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      base::log::error() << "workspaces not swept: " << (workspace_lock_ ? "flock " : "open ")
                         << lock << ": " << std::strerror(error)
                         << (error == EWOULDBLOCK ? " (another daemon uses this workspace_root)"
                                                  : "");
      workspace_lock_.reset();
      return;
    }
    std::vector<fs::path> exec_runs;
    std::error_code error;
    for (fs::directory_iterator it(root / "exec", error), end; !error && it != end;
         it.increment(error))
      exec_runs.push_back(it->path());
    size_t exec_removed = 0;
    for (const auto& run : exec_runs) exec_removed += remove_tree(run);
    // Listed before the journal is asked: a task's row is written before its workspace.
    auto unknown = journal_->call_sync<std::vector<std::string>>(
        [ids = task_workspaces(root)](sqlite::Database& db) {
          std::vector<std::string> gone;
          for (const auto& id : ids)
            if (!journal_schema::get_task(db, id)) gone.push_back(id);
          return gone;
        });
    if (!unknown) {
      base::log::error() << "task workspaces not swept: " << unknown.error().message;
      unknown = std::vector<std::string>{};
    }
    size_t tasks_removed = 0;
    for (const auto& id : *unknown) tasks_removed += remove_tree(root / id);
    if (exec_removed + tasks_removed > 0)
      base::log::error() << "removed " << exec_removed + tasks_removed
                         << " workspaces left by a dead daemon (" << exec_removed
                         << " of exec.run, " << tasks_removed
                         << " of tasks the journal does not have)";
  }

  asio::awaitable<void> Server::drain() {
    using Clock = std::chrono::steady_clock;
    tasks_->set_draining();
    // The listeners stay open until the drain ends: a client or load balancer connecting now
    // is answered 503 (HttpSession asks draining()), which says more than a refused connection.
    notifier_.stopping(status_line());
    base::log::info() << "draining: " << tasks_->running() << " tasks running, up to "
                      << config_.shutdown.drain.count() / 1000.0 << " s";
    co_await wait_until([this] { return tasks_->running() == 0; },
                        Clock::now() + config_.shutdown.drain, drain_now_);
    if (tasks_->running() > 0) {
      base::log::info() << "cancelling " << tasks_->running() << " tasks still running";
      tasks_->cancel_all();
      const bool never = false;
      co_await wait_until([this] { return tasks_->running() == 0; },
                          Clock::now() + std::chrono::seconds(10), never);
    }
    listeners_->close();  // the drain is over: from now on connections are refused
    for (auto& [id, weak] : std::map(sessions_))
      if (auto session = weak.lock()) session->close_going_away();
    const bool never = false;
    co_await wait_until([this] { return sessions_.empty(); },
                        Clock::now() + std::chrono::seconds(3), never);
    // Closing the sessions killed their exec.run sandboxes; their runs give back GPUs and remove
    // workspaces before the loop stops.
    co_await wait_until([this] { return !exec_ || exec_->runs_in_flight() == 0; },
                        Clock::now() + std::chrono::seconds(10), never);
    if (auto flushed = co_await journal_->flush(); !flushed)
      base::log::error() << "journal flush: " << flushed.error().message;
    notifier_.stop();
    prune_timer_.cancel();
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    stopped_ = true;
    base::log::info() << "stopped";
    io_.stop();
  }

  asio::awaitable<void> Server::reload_config() {
    notifier_.reloading();
    const std::string file = config_.file;
    // Reading and compiling policies is file work: not on the loop.
    co_await asio::post(blocking_.get_executor(), asio::use_awaitable);
    auto config = load_config(file);
    base::Expected<std::shared_ptr<const PolicyRegistry>> registry =
        config ? load_policies_for(*config)
               : base::Expected<std::shared_ptr<const PolicyRegistry>>(config.error());
    co_await asio::post(io_.get_executor(), asio::use_awaitable);
    if (!registry) {
      base::log::error() << "reload failed, the configuration in use is unchanged:\n"
                         << registry.error().message;
    } else {
      policies_ = *registry;
      tenants_ = std::make_shared<const TenantDirectory>(config->tenants);
      config_.tenants = config->tenants;
      base::log::info() << "reloaded " << file << ": " << tenants_->size() << " tenants, "
                        << policies_->names().size() << " policies";
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
            base::log::error() << "journal prune: " << pruned.error().message;
            co_return;
          }
          if (pruned->empty()) co_return;
          // The tasks' workspaces go with them.
          co_await asio::post(blocking_.get_executor(), asio::use_awaitable);
          for (const auto& id : *pruned) {
            const std::filesystem::path dir =
                std::filesystem::path(config_.sandbox.workspace_root) / id;
            // A repository task's worktrees and branches in the operator's repository first.
            if (auto forgotten = agents::runtime::TaskRepository::prune(dir); !forgotten)
              base::log::error() << "prune " << id << ": " << forgotten.error().message;
            remove_tree(dir);
          }
          co_await asio::post(io_.get_executor(), asio::use_awaitable);
          base::log::info() << "pruned " << pruned->size() << " tasks older than "
                            << config_.journal.retention_days << " days";
        },
        asio::detached);
    prune_timer_.expires_after(std::chrono::hours(1));
    prune_timer_.async_wait([this](boost::system::error_code error) {
      if (!error) prune_journal();
    });
  }

  AGENTD_COROUTINE_FRAMES_END

}  // namespace agentd
