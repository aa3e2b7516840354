// gpu::FairQueue: the order in which waiting GPU requests are served. FIFO within one task;
// round robin across the tasks of one tenant and across tenants, so a tenant with a hundred
// waiting agents cannot starve another tenant's single agent, nor one task its siblings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <optional>
#include <string>

namespace gpu {

class FairQueue {
 public:
  void push(const std::string& tenant, const std::string& task, uint64_t id);
  // The id that should be served next; nullopt when empty.
  std::optional<uint64_t> front() const;
  // Removes front() and moves its task and tenant to the back of their rotations.
  void pop_front();
  // Removes `id` wherever it waits (cancellation, timeout); false when absent.
  bool remove(uint64_t id);
  // How many requests are served before `id` if nothing else arrives; nullopt when absent.
  std::optional<size_t> position(uint64_t id) const;
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct TaskQueue {
    std::string task;
    std::deque<uint64_t> ids;
  };
  struct TenantQueue {
    std::string tenant;
    std::list<TaskQueue> tasks;  // front: the task served next
  };
  std::list<TenantQueue> tenants_;  // front: the tenant served next
  size_t size_ = 0;
};

}  // namespace gpu
