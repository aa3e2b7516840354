// The agents library's view of the machine's GPUs: a sandbox under a policy that grants GPUs
// asks a GpuProvider for them, holds them while it runs, and its Spec gets their passthrough
// (agents/runtime/sandbox_spec.h). Whoever owns the machine's GPUs implements it on
// gpu::Scheduler and gpu::Passthrough (the daemon does); tests stand in a fake. What a sandbox
// granted none sees of the host's GPUs is gpu/'s business (Passthrough::none, hide_host_gpus).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "sandbox/spec.h"

namespace agents::runtime {

enum class GpuMode {
  exclusive,  // the GPUs are this sandbox's alone
  shared,     // the GPUs may also serve other sandboxes of the same task at the same time
};

struct GpuRequest {
  std::string tenant;  // empty: unknown (fairness is then by task only)
  std::string task;
  std::string agent;
  uint32_t count = 1;
  GpuMode mode = GpuMode::exclusive;
  std::chrono::milliseconds max_wait{0};  // zero: the provider's default
};

// Held GPUs. Move-only: destroying the hold (or release()) gives them back, whatever ends
// the sandbox run (exit, cancellation, an exception).
class GpuHold {
 public:
  // What the provider keeps for the held GPUs (a scheduler lease and its passthrough).
  class Lease {
   public:
    virtual ~Lease() = default;
    virtual const std::vector<uint32_t>& gpus() const = 0;
    // Device nodes, driver libraries, /proc view and environment of exactly these GPUs.
    virtual void add_to(sandbox::Spec& spec) const = 0;
  };

  GpuHold() = default;
  explicit GpuHold(std::unique_ptr<Lease> lease) : lease_(std::move(lease)) {}

  bool held() const { return lease_ != nullptr; }
  const std::vector<uint32_t>& gpus() const {
    static const std::vector<uint32_t> none;
    return lease_ ? lease_->gpus() : none;
  }
  void add_to(sandbox::Spec& spec) const {
    if (lease_) lease_->add_to(spec);
  }
  void release() { lease_.reset(); }

 private:
  std::unique_ptr<Lease> lease_;
};

// `report(type, data)` emits one of the request's events as the agent's task event:
// gpu.waiting {mode, position} when it must queue, gpu.granted {gpus, mode, waited_ms},
// gpu.released {gpus}. The caller reports failures itself (gpu.failed).
using GpuReport = std::function<void(const std::string& type, nlohmann::json data)>;

class GpuProvider {
 public:
  virtual ~GpuProvider() = default;

  // Waits (fairly, at most max_wait) for `request.count` GPUs; an error says why none were
  // granted. Cancelling the awaiting coroutine takes the request out of the queue.
  virtual boost::asio::awaitable<base::Expected<GpuHold>> acquire(GpuRequest request,
                                                                  GpuReport report) = 0;

  // A sandbox granted no GPU on this machine: hide what the host shows of its GPUs (the
  // provider's gpu::Passthrough::none()).
  virtual void add_no_gpu(sandbox::Spec& spec) const = 0;
};

// Why a sandbox under a policy granting `count` GPUs cannot run on a daemon without GPUs
// (the same words for run_code and exec.run).
inline std::string no_gpus_reason(const std::string& policy, uint32_t count) {
  return "policy \"" + policy + "\" grants " + std::to_string(count) +
         " GPU(s), but this daemon has no GPUs (it found no usable NVIDIA driver and GPU when it "
         "started; `agentd gpu list` says why)";
}

}  // namespace agents::runtime
