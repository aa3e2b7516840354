#include "daemon/gpu_grants.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <iostream>
#include <optional>
#include <unordered_map>
#include <utility>

#include "base/log.h"

namespace agentd {

namespace asio = boost::asio;
using agents::runtime::GpuHold;
using agents::runtime::GpuMode;
using agents::runtime::GpuReport;
using agents::runtime::GpuRequest;
using nlohmann::json;

// Lease events name a request only by its id, which the caller of async_acquire never sees
// while it waits. The scheduler reports a new request's first event (granted, or
// wait_started) before async_acquire returns, so the id in that event is the new request's.
struct GpuGrants::Routes {
  struct Starting {
    const GpuReport* report = nullptr;
    uint64_t id = 0;  // learnt from the request's first event
  };
  std::unordered_map<uint64_t, GpuReport> by_id;
  std::optional<Starting> starting;

  void on_event(const gpu::LeaseEvent& event);
};

void GpuGrants::Routes::on_event(const gpu::LeaseEvent& event) {
  auto route = by_id.find(event.lease_id);
  if (route == by_id.end()) {
    if (!starting || starting->id != 0) return;  // a request nobody follows any more
    starting->id = event.lease_id;
    route = by_id.emplace(event.lease_id, *starting->report).first;
  }
  const GpuReport report = route->second;  // a copy: reporting must not depend on the map
  const std::string mode(gpu::to_string(event.mode));
  switch (event.kind) {
    case gpu::LeaseEventKind::wait_started:
      report("gpu.waiting", {{"mode", mode}, {"position", event.queue_position}});
      break;
    case gpu::LeaseEventKind::granted:
      report("gpu.granted",
             {{"gpus", event.gpus}, {"mode", mode}, {"waited_ms", event.waited.count()}});
      break;
    case gpu::LeaseEventKind::released:
      report("gpu.released", {{"gpus", event.gpus}});
      break;
    case gpu::LeaseEventKind::handover:     // said by the granted event before it
    case gpu::LeaseEventKind::wait_failed:  // the caller reports the error it gets
      break;
  }
}

namespace {

// Forgets a request's route when its acquire ends without a lease (failure, or the frame
// destroyed while waiting), so that no event reaches a caller that is gone.
class RouteGuard {
 public:
  explicit RouteGuard(std::weak_ptr<GpuGrants::Routes> routes) : routes_(std::move(routes)) {}
  ~RouteGuard() {
    if (auto routes = routes_.lock(); routes && id != 0) routes->by_id.erase(id);
  }
  RouteGuard(const RouteGuard&) = delete;
  RouteGuard& operator=(const RouteGuard&) = delete;
  uint64_t release() { return std::exchange(id, 0); }

  uint64_t id = 0;

 private:
  std::weak_ptr<GpuGrants::Routes> routes_;
};

// A granted lease and the passthrough of its GPUs; the lease goes back (gpu.released) before
// its route is forgotten.
class HeldLease final : public GpuHold::Lease {
 public:
  HeldLease(gpu::Lease lease, gpu::GpuGrant grant, std::weak_ptr<GpuGrants::Routes> routes,
            uint64_t route_id)
      : lease_(std::move(lease)),
        grant_(std::move(grant)),
        routes_(std::move(routes)),
        route_id_(route_id) {}
  ~HeldLease() override {
    lease_.release();
    if (auto routes = routes_.lock()) routes->by_id.erase(route_id_);
  }

  const std::vector<uint32_t>& gpus() const override { return lease_.gpus(); }
  void add_to(sandbox::Spec& spec) const override { gpu::add_to_spec(grant_, spec); }

 private:
  gpu::Lease lease_;
  gpu::GpuGrant grant_;
  std::weak_ptr<GpuGrants::Routes> routes_;
  uint64_t route_id_;
};

// After a wait, the scheduler's message ends with every GPU's holders by tenant/task/agent
// ("; 2 GPU(s): GPU 0 held exclusively by ..."): the daemon's log gets it; the requester, who
// may be another tenant, is told only why its own request failed.
std::string for_requester(std::string message) {
  const size_t summary = message.find(" GPU(s):");
  const size_t cut = summary == std::string::npos ? summary : message.rfind("; ", summary);
  if (cut == std::string::npos) return message;
  base::log::info() << "" << message;
  message.erase(cut);
  return message;
}

gpu::LeaseRequest lease_request(GpuRequest request) {
  return {std::move(request.tenant),
          std::move(request.task),
          std::move(request.agent),
          request.count,
          request.mode == GpuMode::shared ? gpu::LeaseMode::shared : gpu::LeaseMode::exclusive,
          request.max_wait};
}

}  // namespace

base::Expected<std::shared_ptr<GpuGrants>> GpuGrants::create(asio::any_io_executor executor,
                                                             gpu::Inventory inventory,
                                                             const GpuGrantOptions& options) {
  // A sandbox mounts this kernel's own /proc: the driver's procfs view can be shown only where
  // this kernel has one, whatever a discovery root elsewhere (a test's tree) lists.
  std::error_code ignored;
  if (inventory.driver_procfs && !std::filesystem::is_directory("/proc/driver/nvidia", ignored))
    inventory.driver_procfs = false;
  auto passthrough = gpu::Passthrough::prepare(std::move(inventory), options.passthrough);
  if (!passthrough) return passthrough.error();
  return std::shared_ptr<GpuGrants>(
      new GpuGrants(std::move(executor), std::move(*passthrough), options.scheduler));
}

GpuGrants::GpuGrants(asio::any_io_executor executor, gpu::Passthrough passthrough,
                     gpu::SchedulerOptions options)
    : passthrough_(std::move(passthrough)),
      routes_(std::make_shared<Routes>()),
      scheduler_(std::move(executor), static_cast<uint32_t>(passthrough_.inventory().gpus.size()),
                 options, [routes = std::weak_ptr<Routes>(routes_)](const gpu::LeaseEvent& event) {
                   if (auto alive = routes.lock()) alive->on_event(event);
                 }) {}

GpuGrants::~GpuGrants() {
  // The scheduler fails its waiters as it goes; their tasks may be gone already.
  routes_->by_id.clear();
  routes_->starting.reset();
}

asio::awaitable<base::Expected<GpuHold>> GpuGrants::acquire(GpuRequest request, GpuReport report) {
  std::weak_ptr<Routes> routes = routes_;
  RouteGuard guard(routes);
  gpu::LeaseResult result =
      co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(gpu::LeaseResult)>(
          [&](auto handler) {
            routes_->starting = Routes::Starting{&report, 0};
            scheduler_.async_acquire(lease_request(std::move(request)), std::move(handler));
            guard.id = routes_->starting->id;
            routes_->starting.reset();
          },
          asio::use_awaitable);
  if (!result) co_return base::Error{for_requester(result.error().message)};
  if (routes.expired()) co_return base::Error{"the GPU scheduler shut down"};
  gpu::Lease lease = std::move(result).value();
  auto grant = passthrough_.grant(lease.gpus());
  if (!grant) co_return grant.error();
  co_return GpuHold(
      std::make_unique<HeldLease>(std::move(lease), std::move(*grant), routes_, guard.release()));
}

void GpuGrants::add_no_gpu(sandbox::Spec& spec) const {
  gpu::add_to_spec(passthrough_.none(), spec);
}

gpu::DiscoveryOptions gpu_discovery(const GpuConfig& config) {
  return {config.root, config.ld_cache, config.nvml_library};
}

std::shared_ptr<GpuGrants> grant_gpus(asio::any_io_executor executor, gpu::Inventory inventory,
                                      const GpuConfig& config) {
  if (inventory.gpus.empty()) return nullptr;
  GpuGrantOptions options;
  options.passthrough.staging_dir = config.staging_dir;
  options.scheduler.max_sharers = config.max_sharers;
  options.scheduler.default_max_wait = config.max_wait;
  auto grants = GpuGrants::create(std::move(executor), std::move(inventory), options);
  if (grants) return *grants;
  base::log::warning() << "GPUs found, but sandboxes cannot use them: " << grants.error().message;
  return nullptr;
}

}  // namespace agentd
