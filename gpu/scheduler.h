// gpu::Scheduler: hands the machine's GPUs to agents as leases, in fair order (gpu/fair_queue.h),
// exclusive or shared, with a maximum wait. One Asio executor drives it: call it, and destroy
// its leases, from that executor's thread only (DESIGN.md: one io_context drives everything),
// and destroy it before its io_context. Event callbacks must not throw.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "gpu/lease.h"

namespace gpu {

using LeaseResult = base::Expected<Lease>;
using AcquireHandler = boost::asio::any_completion_handler<void(LeaseResult)>;

struct SchedulerOptions {
  uint32_t max_sharers = 4;  // shared leases on one GPU at once
  std::chrono::milliseconds default_max_wait{60'000};
};

struct GpuMetrics {
  uint32_t index = 0;
  uint32_t holders = 0;
  bool exclusive = false;
  std::chrono::nanoseconds busy_time{0};  // total time with at least one holder, until now
};

struct SchedulerMetrics {
  size_t queue_length = 0;
  size_t max_queue_length = 0;
  uint64_t granted = 0;
  uint64_t timed_out = 0;
  uint64_t cancelled = 0;
  std::chrono::nanoseconds total_wait{0};  // summed over granted requests
  std::vector<GpuMetrics> gpus;
};

class Scheduler {
 public:
  Scheduler(boost::asio::any_io_executor executor, uint32_t gpu_count,
            SchedulerOptions options = {}, LeaseEventCallback on_event = {});
  // Fails every waiting request ("scheduler shut down"); leases still held become inert.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Completes with a Lease, or an error that says why none was granted (bad request, wait
  // longer than the maximum, cancelled). Cancelling the operation through its cancellation
  // slot takes the request out of the queue. Works with any completion token.
  template <class Token>
  auto async_acquire(LeaseRequest request, Token&& token) {
    return boost::asio::async_initiate<Token, void(LeaseResult)>(
        [this](AcquireHandler handler, LeaseRequest r) { start(std::move(r), std::move(handler)); },
        token, std::move(request));
  }

  SchedulerMetrics metrics() const;
  uint32_t gpu_count() const;

 private:
  void start(LeaseRequest request, AcquireHandler handler);
  std::shared_ptr<detail::SchedulerCore> core_;
};

}  // namespace gpu
