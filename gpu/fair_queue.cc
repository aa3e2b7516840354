#include "gpu/fair_queue.h"

#include <algorithm>

namespace gpu {

void FairQueue::push(const std::string& tenant, const std::string& task, uint64_t id) {
  auto tenant_it = std::find_if(tenants_.begin(), tenants_.end(),
                                [&](const TenantQueue& t) { return t.tenant == tenant; });
  if (tenant_it == tenants_.end()) tenant_it = tenants_.insert(tenants_.end(), {tenant, {}});
  auto& tasks = tenant_it->tasks;
  auto task_it =
      std::find_if(tasks.begin(), tasks.end(), [&](const TaskQueue& t) { return t.task == task; });
  if (task_it == tasks.end()) task_it = tasks.insert(tasks.end(), {task, {}});
  task_it->ids.push_back(id);
  ++size_;
}

std::optional<uint64_t> FairQueue::front() const {
  if (tenants_.empty()) return std::nullopt;
  return tenants_.front().tasks.front().ids.front();
}

void FairQueue::pop_front() {
  if (tenants_.empty()) return;
  auto& tenant = tenants_.front();
  auto& task = tenant.tasks.front();
  task.ids.pop_front();
  --size_;
  // Served once: this task goes behind its siblings, this tenant behind the others.
  if (task.ids.empty()) {
    tenant.tasks.pop_front();
  } else {
    tenant.tasks.splice(tenant.tasks.end(), tenant.tasks, tenant.tasks.begin());
  }
  if (tenant.tasks.empty()) {
    tenants_.pop_front();
  } else {
    tenants_.splice(tenants_.end(), tenants_, tenants_.begin());
  }
}

bool FairQueue::remove(uint64_t id) {
  for (auto tenant = tenants_.begin(); tenant != tenants_.end(); ++tenant) {
    for (auto task = tenant->tasks.begin(); task != tenant->tasks.end(); ++task) {
      auto found = std::find(task->ids.begin(), task->ids.end(), id);
      if (found == task->ids.end()) continue;
      // Leaving the queue does not count as a turn: the rotation order stays as it was.
      task->ids.erase(found);
      --size_;
      if (task->ids.empty()) tenant->tasks.erase(task);
      if (tenant->tasks.empty()) tenants_.erase(tenant);
      return true;
    }
  }
  return false;
}

std::optional<size_t> FairQueue::position(uint64_t id) const {
  // Simulates serving on a copy; queues are short (one entry per waiting agent).
  FairQueue copy = *this;
  for (size_t served = 0; !copy.empty(); ++served) {
    if (copy.front() == id) return served;
    copy.pop_front();
  }
  return std::nullopt;
}

}  // namespace gpu
