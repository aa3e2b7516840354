#include "gpu/fair_queue.h"

#include <gtest/gtest.h>

#include <vector>

namespace gpu {
namespace {

std::vector<uint64_t> drain(FairQueue& queue) {
  std::vector<uint64_t> order;
  while (auto next = queue.front()) {
    order.push_back(*next);
    queue.pop_front();
  }
  return order;
}

TEST(FairQueue, FifoWithinOneTask) {
  FairQueue queue;
  for (uint64_t id = 1; id <= 4; ++id) queue.push("tenant", "task", id);
  EXPECT_EQ(queue.size(), 4u);
  EXPECT_EQ(drain(queue), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_TRUE(queue.empty());
  EXPECT_FALSE(queue.front());
}

TEST(FairQueue, TenantsTakeTurns) {
  FairQueue queue;
  // Tenant a floods the queue first; tenant b's single request is served second, not fifth.
  for (uint64_t id = 1; id <= 4; ++id) queue.push("a", "task-a", id);
  queue.push("b", "task-b", 10);
  EXPECT_EQ(drain(queue), (std::vector<uint64_t>{1, 10, 2, 3, 4}));
}

TEST(FairQueue, TasksOfOneTenantTakeTurns) {
  FairQueue queue;
  queue.push("a", "t1", 1);
  queue.push("a", "t1", 2);
  queue.push("a", "t2", 3);
  queue.push("b", "t3", 4);
  queue.push("a", "t2", 5);
  // a/t1, b/t3, a/t2, (b empty) a/t1, a/t2
  EXPECT_EQ(drain(queue), (std::vector<uint64_t>{1, 4, 3, 2, 5}));
}

TEST(FairQueue, RemoveAndPosition) {
  FairQueue queue;
  queue.push("a", "t1", 1);
  queue.push("a", "t1", 2);
  queue.push("b", "t2", 3);
  EXPECT_EQ(queue.position(1), 0u);
  EXPECT_EQ(queue.position(3), 1u);
  EXPECT_EQ(queue.position(2), 2u);
  EXPECT_FALSE(queue.position(99));
  EXPECT_TRUE(queue.remove(3));
  EXPECT_FALSE(queue.remove(3));
  EXPECT_EQ(queue.position(2), 1u);
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(drain(queue), (std::vector<uint64_t>{1, 2}));
}

}  // namespace
}  // namespace gpu
