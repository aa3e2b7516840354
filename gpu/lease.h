// GPU leases: what an agent asks for, what it holds, and what the scheduler reports about both.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gpu {

enum class LeaseMode {
  exclusive,  // the GPU is this lease's alone
  shared,     // the GPU may hold other shared leases of the same task (same tenant and task
              // id) at once, at most SchedulerOptions::max_sharers; each sandbox still takes
              // a lease of its own, nothing is handed between agents
};
std::string_view to_string(LeaseMode mode);

struct LeaseRequest {
  std::string tenant;
  std::string task;
  std::string agent;
  uint32_t count = 1;  // GPUs wanted, all granted together or none
  LeaseMode mode = LeaseMode::exclusive;
  // Longest wait before the request fails; zero means the scheduler's default.
  std::chrono::milliseconds max_wait{0};
};

namespace detail {
class SchedulerCore;
}

// A granted lease. Move-only; the GPUs go back to the scheduler when it is destroyed or
// released, whatever ends its holder (sandbox exit, agent cancellation, an exception, the
// task's death). Outliving the scheduler is harmless.
class Lease {
 public:
  Lease() = default;
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  // GPU indices (as in the inventory), ascending.
  const std::vector<uint32_t>& gpus() const { return gpus_; }
  LeaseMode mode() const { return mode_; }
  uint64_t id() const { return id_; }
  bool held() const { return id_ != 0; }
  explicit operator bool() const { return held(); }
  // Gives the GPUs back now; safe to call twice.
  void release();

 private:
  friend class detail::SchedulerCore;
  Lease(std::weak_ptr<detail::SchedulerCore> core, uint64_t id, std::vector<uint32_t> gpus,
        LeaseMode mode);
  std::weak_ptr<detail::SchedulerCore> core_;
  uint64_t id_ = 0;
  std::vector<uint32_t> gpus_;
  LeaseMode mode_ = LeaseMode::exclusive;
};

enum class LeaseEventKind {
  wait_started,  // the request could not be granted at once and joined the queue
  granted,
  handover,  // granted GPUs that a release freed just now (follows that `released`)
  released,
  wait_failed,  // timed out, cancelled, or the scheduler shut down; `detail` says which
};
std::string_view to_string(LeaseEventKind kind);

struct LeaseEvent {
  LeaseEventKind kind = LeaseEventKind::granted;
  uint64_t lease_id = 0;  // the request's id while it waits, the lease's once granted
  std::string tenant;
  std::string task;
  std::string agent;
  LeaseMode mode = LeaseMode::exclusive;
  std::vector<uint32_t> gpus;           // granted, handover, released
  std::chrono::milliseconds waited{0};  // granted, handover, wait_failed
  size_t queue_position = 0;            // wait_started: requests served before this one
  std::string detail;                   // wait_failed: why; handover: "tenant/task/agent" before
};

using LeaseEventCallback = std::function<void(const LeaseEvent&)>;

}  // namespace gpu
