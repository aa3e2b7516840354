// The state behind gpu::Scheduler, shared (weakly) with its leases and pending operations so
// that either may outlive the other. Internal to the gpu module.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gpu/fair_queue.h"
#include "gpu/lease.h"
#include "gpu/scheduler.h"

namespace gpu::detail {

class SchedulerCore : public std::enable_shared_from_this<SchedulerCore> {
 public:
  SchedulerCore(boost::asio::any_io_executor executor, uint32_t gpu_count, SchedulerOptions options,
                LeaseEventCallback on_event);

  void start(LeaseRequest request, AcquireHandler handler);
  void release(uint64_t lease_id);
  void shutdown();
  SchedulerMetrics metrics() const;
  uint32_t gpu_count() const { return static_cast<uint32_t>(gpus_.size()); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Waiter {
    uint64_t id;
    LeaseRequest request;
    AcquireHandler handler;
    boost::asio::steady_timer timer;
    Clock::time_point enqueued;
  };
  struct Holder {
    LeaseRequest request;  // who holds it (tenant, task, agent, mode)
    std::vector<uint32_t> gpus;
  };
  struct GpuState {
    std::vector<uint64_t> holders;
    bool exclusive = false;
    std::string share_key;  // tenant and task of the shared holders
    Clock::time_point busy_since;
    Clock::duration busy_total{0};
  };

  std::optional<std::string> validate(const LeaseRequest& request) const;
  void wait(const std::shared_ptr<Waiter>& waiter);
  // Grants waiting requests in fair order until the next one cannot be granted; nobody
  // overtakes it, so large or exclusive requests are never starved by small ones.
  void dispatch(const Holder* released);
  std::optional<std::vector<uint32_t>> pick(const LeaseRequest& request) const;
  void grant(const std::shared_ptr<Waiter>& waiter, std::vector<uint32_t> gpus,
             const Holder* released);
  void fail_waiter(uint64_t id, const std::string& why, uint64_t& counter);
  void on_timeout(uint64_t id);
  void on_cancel(uint64_t id);
  void complete(Waiter& waiter, LeaseResult result);
  void fail_now(AcquireHandler handler, std::string message);
  std::string holders_summary() const;
  void emit(LeaseEventKind kind, const LeaseRequest& who, uint64_t id,
            std::vector<uint32_t> gpus = {}, std::chrono::milliseconds waited = {},
            std::string detail = {}, size_t position = 0);
  void flush_events();

  boost::asio::any_io_executor executor_;
  SchedulerOptions options_;
  LeaseEventCallback on_event_;
  std::vector<GpuState> gpus_;
  FairQueue queue_;
  std::unordered_map<uint64_t, std::shared_ptr<Waiter>> waiters_;
  std::unordered_map<uint64_t, Holder> holders_;
  uint64_t next_id_ = 1;
  std::vector<LeaseEvent> pending_events_;
  bool flushing_ = false;
  SchedulerMetrics counters_;  // everything but the per-GPU part and the queue length
};

}  // namespace gpu::detail
