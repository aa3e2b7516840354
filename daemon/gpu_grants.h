// The daemon's GPUs for run_code: agents::runtime::GpuProvider on gpu::Scheduler (fair leases,
// exclusive or shared, a maximum wait) and gpu::Passthrough (what a sandbox needs to use
// exactly the leased GPUs). The scheduler's lease events become the requesting agent's task
// events (gpu.waiting, gpu.granted, gpu.released). Created by the server only where discovery
// found a GPU that can be passed through. Used from the server's loop thread only.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "agents/runtime/gpu_provider.h"
#include "base/expected.h"
#include "daemon/config.h"
#include "gpu/inventory.h"
#include "gpu/passthrough.h"
#include "gpu/scheduler.h"

namespace agentd {

struct GpuGrantOptions {
  gpu::PassthroughOptions passthrough;
  gpu::SchedulerOptions scheduler;
};

class GpuGrants final : public agents::runtime::GpuProvider {
 public:
  // Fails, saying what is missing, unless the inventory's GPUs can be passed through.
  static base::Expected<std::shared_ptr<GpuGrants>> create(boost::asio::any_io_executor executor,
                                                           gpu::Inventory inventory,
                                                           const GpuGrantOptions& options = {});
  // Waiting requests fail; leases still held become inert and report nothing.
  ~GpuGrants() override;
  GpuGrants(const GpuGrants&) = delete;
  GpuGrants& operator=(const GpuGrants&) = delete;

  boost::asio::awaitable<base::Expected<agents::runtime::GpuHold>> acquire(
      agents::runtime::GpuRequest request, agents::runtime::GpuReport report) override;
  void add_no_gpu(sandbox::Spec& spec) const override;

  gpu::SchedulerMetrics metrics() const { return scheduler_.metrics(); }
  const gpu::Inventory& inventory() const { return passthrough_.inventory(); }

  struct Routes;  // which request's reporter a lease event goes to

 private:
  GpuGrants(boost::asio::any_io_executor executor, gpu::Passthrough passthrough,
            gpu::SchedulerOptions options);

  gpu::Passthrough passthrough_;
  std::shared_ptr<Routes> routes_;
  gpu::Scheduler scheduler_;  // last: destroyed first, while routes_ still exists
};

// Where the configuration says discovery looks.
gpu::DiscoveryOptions gpu_discovery(const GpuConfig& config);

// Leases for run_code where discovery found GPUs; null (and a line on stderr saying why) where
// they cannot be passed through, so that GPU policies fail their run_code saying so.
std::shared_ptr<GpuGrants> grant_gpus(boost::asio::any_io_executor executor,
                                      gpu::Inventory inventory, const GpuConfig& config);

}  // namespace agentd
