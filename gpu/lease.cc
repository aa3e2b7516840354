#include "gpu/lease.h"

#include "gpu/scheduler_core.h"

namespace gpu {

std::string_view to_string(LeaseMode mode) {
  return mode == LeaseMode::exclusive ? "exclusive" : "shared";
}

std::string_view to_string(LeaseEventKind kind) {
  switch (kind) {
    case LeaseEventKind::wait_started:
      return "wait_started";
    case LeaseEventKind::granted:
      return "granted";
    case LeaseEventKind::handover:
      return "handover";
    case LeaseEventKind::released:
      return "released";
    case LeaseEventKind::wait_failed:
      return "wait_failed";
  }
  return "unknown";
}

Lease::Lease(std::weak_ptr<detail::SchedulerCore> core, uint64_t id, std::vector<uint32_t> gpus,
             LeaseMode mode)
    : core_(std::move(core)), id_(id), gpus_(std::move(gpus)), mode_(mode) {}

Lease::Lease(Lease&& other) noexcept
    : core_(std::move(other.core_)),
      id_(std::exchange(other.id_, 0)),
      gpus_(std::move(other.gpus_)),
      mode_(other.mode_) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    release();
    core_ = std::move(other.core_);
    id_ = std::exchange(other.id_, 0);
    gpus_ = std::move(other.gpus_);
    mode_ = other.mode_;
  }
  return *this;
}

Lease::~Lease() {
  release();
}

void Lease::release() {
  uint64_t id = std::exchange(id_, 0);
  if (id == 0) return;
  if (auto core = core_.lock()) core->release(id);
  core_.reset();
}

}  // namespace gpu
