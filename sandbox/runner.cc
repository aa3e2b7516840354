#include "sandbox/runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/append.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "sandbox/spawn.h"
#include "sandbox/user.h"

namespace sandbox {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct Runner::Shared {
  RunnerOptions options;
  std::shared_ptr<cgroup::Manager> cgroups;
  std::atomic<uint64_t> next_run{0};
  // cgroup v1 placement blocks for an RCU grace period (5-10 ms measured here), so it runs on
  // a small fixed pool while the child builds its root, never on the caller's event loop.
  asio::thread_pool placement_pool{2};
};

namespace {

// One captured output stream: reads up to its cap and never buffers more.
struct Capture {
  explicit Capture(const asio::any_io_executor& ex, uint64_t cap) : pipe(ex), cap(cap) {}
  asio::posix::stream_descriptor pipe;
  uint64_t cap;
  std::string data;
  bool truncated = false;
  bool done = false;  // EOF, error, or over the cap: nothing more is read

  // Keeps what fits and reports whether the stream went past its cap.
  bool append(const char* bytes, size_t n) {
    const size_t room = cap - data.size();
    data.append(bytes, std::min(n, room));
    if (n > room) truncated = done = true;
    return truncated;
  }
  size_t next_read_size() const {
    return static_cast<size_t>(std::min<uint64_t>(cap - data.size() + 1, 65536));
  }
};

// What the child sent: a failing setup step, and/or how the program ended (from the
// sandbox's init). A setup failure comes first when there is one.
struct ChildReport {
  std::optional<contain::ChildError> failure;
  std::optional<int> program_status;  // wait status of the program
};

// How the program ended: as its init reported, or, when the init itself was killed (by us,
// or by the OOM killer), as the init's own end.
struct Ending {
  bool killed = false;
  int value = 0;  // exit code, or signal when killed
};

// One sandbox run from spawn to completion (a Beast-style session: do_x starts an operation,
// on_x handles it). Completes exactly once, after the child is reaped and its cgroup removed.
class Run : public std::enable_shared_from_this<Run> {
 public:
  Run(asio::any_io_executor ex, std::shared_ptr<Runner::Shared> shared, Spec spec, RunHandler h)
      : ex_(std::move(ex)),
        shared_(std::move(shared)),
        spec_(std::move(spec)),
        handler_(std::move(h)),
        exit_watch_(ex_),
        wall_timer_(ex_),
        cpu_timer_(ex_),
        out_(ex_, spec_.limits.stdout_bytes),
        err_(ex_, spec_.limits.stderr_bytes) {}

  ~Run() {
    exit_watch_.release();  // the pidfd belongs to the Process
  }

  void start() {
    started_ = Clock::now();
    if (auto s = setup(); !s) return complete_setup_error(s.error().message);
    auto slot = asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) {
      slot.assign([weak = weak_from_this()](asio::cancellation_type) {
        if (auto self = weak.lock()) self->stop(std::nullopt);
      });
    }
    if (spawned_.needs_placement) do_place();
    do_wait_exit();
    do_read(out_);
    do_read(err_);
    if (spec_.limits.wall_time.count() > 0) {
      wall_timer_.expires_after(spec_.limits.wall_time);
      wall_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->stop(RunStatus::timeout);
      });
    }
    if (spec_.limits.cpu_time.count() > 0) do_check_cpu(spec_.limits.cpu_time);
  }

 private:
  Status setup() {
    auto prepared = parent_prepare(spec_);
    if (!prepared) return prepared.error();
    prepared_ = std::move(prepared.value());
    const auto& o = shared_->options;
    auto lease = user::IdLease::acquire(o.id_lock_dir, o.first_host_id, o.host_id_count);
    if (!lease) return lease.error();
    lease_.emplace(std::move(lease.value()));
    const std::string name = cgroup::sandbox_name(::getpid(), shared_->next_run.fetch_add(1));
    const Limits& l = spec_.limits;
    auto cg = shared_->cgroups->create(
        name, {l.memory_bytes, l.pids, l.cpu_millicores, l.cpu_weight, spec_.devices});
    if (!cg) return cg.error();
    cgroup_.emplace(std::move(cg.value()));
    auto spawned = parent_spawn(prepared_, spec_.stdin_data, *cgroup_, lease_->host_id());
    spec_.channel.reset();  // the program's now: its peer must see EOF when the program ends
    if (!spawned) return spawned.error();
    spawned_ = std::move(spawned.value());
    exit_watch_.assign(spawned_.process.pidfd());
    out_.pipe.assign(spawned_.stdout_read.release());
    err_.pipe.assign(spawned_.stderr_read.release());
    return Ok{};
  }

  void do_place() {
    placing_ = true;
    asio::post(shared_->placement_pool, [self = shared_from_this()]() mutable {
      Status placed = parent_place_in_cgroup(self->spawned_, *self->cgroup_);
      auto ex = self->ex_;
      asio::post(ex,
                 [self = std::move(self), placed = std::move(placed)] { self->on_placed(placed); });
    });
  }

  void on_placed(const Status& placed) {
    placing_ = false;
    if (!placed && !finished_) {
      placement_error_ = placed.error().message;
      spawned_.process.signal(SIGKILL);
    }
    if (exit_pending_) on_exit({});
  }

  void do_wait_exit() {
    exit_watch_.async_wait(
        asio::posix::stream_descriptor::wait_read,
        [self = shared_from_this()](boost::system::error_code ec) { self->on_exit(ec); });
  }

  void on_exit(boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    if (placing_) {  // the pid must not be reaped (and recycled) while it is being written
      exit_pending_ = true;
      return;
    }
    auto info = spawned_.process.try_reap();
    if (!info) return do_wait_exit();  // woken early; the child still runs
    exit_info_ = *info;
    // The pid namespace died with its init, so every writer of the pipes is gone: what is
    // left in them is all there is.
    drain(out_);
    drain(err_);
    finish();
  }

  void do_read(Capture& c) {
    if (c.done) return;
    buffer_for(c).resize(c.next_read_size());
    c.pipe.async_read_some(asio::buffer(buffer_for(c)),
                           [self = shared_from_this(), &c](boost::system::error_code ec, size_t n) {
                             self->on_read(c, ec, n);
                           });
  }

  void on_read(Capture& c, boost::system::error_code ec, size_t n) {
    if (ec == asio::error::operation_aborted || finished_) return;
    if (ec) {
      c.done = true;  // EOF: the sandbox closed its end
      return;
    }
    if (c.append(buffer_for(c).data(), n)) return stop(RunStatus::output_limit);
    do_read(c);
  }

  void drain(Capture& c) {
    std::string& buffer = buffer_for(c);
    while (!c.done) {
      buffer.resize(c.next_read_size());
      const ssize_t n = ::read(c.pipe.native_handle(), buffer.data(), buffer.size());
      if (n <= 0) break;
      if (c.append(buffer.data(), static_cast<size_t>(n)) && !stop_reason_)
        stop_reason_ = RunStatus::output_limit;
    }
  }

  std::string& buffer_for(const Capture& c) { return &c == &out_ ? out_buffer_ : err_buffer_; }

  // Sleeps until the limit could first be reached at full speed, then looks at the cgroup's
  // total; repeats with what is left.
  void do_check_cpu(std::chrono::milliseconds remaining) {
    const unsigned cores = spec_.limits.cpu_millicores
                               ? std::max(1u, spec_.limits.cpu_millicores / 1000)
                               : std::max(1u, std::thread::hardware_concurrency());
    cpu_timer_.expires_after(std::max(std::chrono::milliseconds(10), remaining / cores));
    cpu_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      const int64_t used = self->cgroup_->usage().cpu_ms;
      const int64_t limit = self->spec_.limits.cpu_time.count();
      if (used >= limit) return self->stop(RunStatus::cpu_limit);
      self->do_check_cpu(std::chrono::milliseconds(limit - used));
    });
  }

  // Kills the sandbox's init, which takes its whole pid namespace along; nullopt: cancelled.
  void stop(std::optional<RunStatus> reason) {
    if (finished_ || stop_reason_ || cancelled_) return;
    if (reason)
      stop_reason_ = reason;
    else
      cancelled_ = true;
    spawned_.process.signal(SIGKILL);
  }

  RunStatus determine_status(const Ending& ending, const cgroup::Usage& usage) const {
    if (stop_reason_) return *stop_reason_;
    if (usage.oom_kills > 0) return RunStatus::memory_limit;
    const int64_t cpu_limit = spec_.limits.cpu_time.count();
    if (ending.killed && (ending.value == SIGXCPU ||
                          (cpu_limit > 0 && ending.value == SIGKILL && usage.cpu_ms >= cpu_limit)))
      return RunStatus::cpu_limit;
    if (ending.killed) return RunStatus::signaled;
    return ending.value == 0 ? RunStatus::ok : RunStatus::exit_nonzero;
  }

  void finish() {
    finished_ = true;
    wall_timer_.cancel();
    cpu_timer_.cancel();
    const ChildReport report = child_report();
    Result r;
    if (report.failure) {
      r.status = RunStatus::setup_error;
      r.error = describe_child_error(*report.failure, prepared_);
    } else if (placement_error_ && !stop_reason_ && !cancelled_) {
      r.status = RunStatus::setup_error;
      r.error = "cgroup placement: " + *placement_error_;
    } else {
      const Ending ending = ending_of(report);
      const cgroup::Usage usage = cgroup_->usage();
      r.status = determine_status(ending, usage);
      r.cpu_ms = usage.cpu_ms;
      r.peak_memory_bytes = usage.peak_memory_bytes;
      (ending.killed ? r.signal : r.exit_code) = ending.value;
      if (cancelled_) r.error = "cancelled";
    }
    r.wall_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count();
    r.stdout_data = std::move(out_.data);
    r.stderr_data = std::move(err_.data);
    r.stdout_truncated = out_.truncated;
    r.stderr_truncated = err_.truncated;
    if (auto removed = cgroup_->remove(); !removed)
      r.error += (r.error.empty() ? "" : "; ") + ("cleanup: " + removed.error().message);
    out_.pipe.close();
    err_.pipe.close();
    complete(std::move(r));
  }

  Ending ending_of(const ChildReport& report) const {
    if (report.program_status) {
      const int status = *report.program_status;
      if (WIFSIGNALED(status)) return {true, WTERMSIG(status)};
      return {false, WEXITSTATUS(status)};
    }
    const bool killed = exit_info_.si_code == CLD_KILLED || exit_info_.si_code == CLD_DUMPED;
    return {killed, exit_info_.si_status};
  }

  ChildReport child_report() const {
    ChildReport report;
    contain::ChildError record{};
    // A child that died with our "placed" byte unread leaves ECONNRESET pending on our end,
    // and the kernel reports that error once before handing out the records queued behind it.
    for (int resets = 0; resets < 3;) {
      const ssize_t n = ::recv(spawned_.sync.get(), &record, sizeof record, MSG_DONTWAIT);
      if (n < 0 && errno == ECONNRESET) {
        ++resets;
        continue;
      }
      if (n != static_cast<ssize_t>(sizeof record)) break;
      if (record.step == contain::Step::program_ended)
        report.program_status = record.error;
      else if (!report.failure)
        report.failure = record;
    }
    return report;
  }

  void complete_setup_error(std::string message) {
    finished_ = true;
    Result r;
    r.status = RunStatus::setup_error;
    r.error = std::move(message);
    r.wall_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count();
    complete(std::move(r));
  }

  void complete(Result result) {
    auto slot = asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) slot.clear();
    // Never inline: the initiating function may still be on the stack.
    asio::post(ex_, asio::append(std::move(handler_), std::move(result)));
  }

  asio::any_io_executor ex_;
  std::shared_ptr<Runner::Shared> shared_;
  Spec spec_;
  RunHandler handler_;
  Prepared prepared_;
  std::optional<user::IdLease> lease_;
  std::optional<cgroup::Cgroup> cgroup_;  // engaged from setup() on
  Spawned spawned_;
  asio::posix::stream_descriptor exit_watch_;
  asio::steady_timer wall_timer_;
  asio::steady_timer cpu_timer_;
  Capture out_;
  Capture err_;
  std::string out_buffer_;
  std::string err_buffer_;
  Clock::time_point started_;
  siginfo_t exit_info_{};
  std::optional<RunStatus> stop_reason_;
  std::optional<std::string> placement_error_;
  bool placing_ = false;
  bool exit_pending_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
};

}  // namespace

Expected<std::shared_ptr<Runner>> Runner::create(RunnerOptions options) {
  if (options.first_host_id == 0)
    return Error{"first_host_id: 0 is root; sandboxes never run as host root"};
  if (auto searchable = user::check_host_searchable(); !searchable) return searchable.error();
  auto cgroups = cgroup::Manager::open(options.cgroup_parent);
  if (!cgroups) return Error{"cgroups: " + cgroups.error().message};
  auto shared = std::make_shared<Shared>();
  shared->options = std::move(options);
  shared->cgroups = std::move(cgroups.value());
  return std::shared_ptr<Runner>(new Runner(std::move(shared)));
}

Runner::Runner(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
Runner::~Runner() = default;

cgroup::Version Runner::cgroup_version() const {
  return shared_->cgroups->version();
}

void Runner::start(asio::any_io_executor executor, Spec spec, RunHandler handler) {
  std::make_shared<Run>(std::move(executor), shared_, std::move(spec), std::move(handler))->start();
}

Result Runner::run(Spec spec) {
  asio::io_context context;
  Result result;
  async_run(context.get_executor(), std::move(spec),
            [&result](Result r) { result = std::move(r); });
  context.run();
  return result;
}

}  // namespace sandbox
