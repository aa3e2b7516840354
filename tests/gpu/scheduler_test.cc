#include "gpu/scheduler.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

namespace gpu {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Slot = std::shared_ptr<std::optional<LeaseResult>>;

LeaseRequest request(const std::string& name, uint32_t count = 1,
                     LeaseMode mode = LeaseMode::exclusive, std::string tenant = "tenant") {
  return LeaseRequest{std::move(tenant), "task-" + name, "agent-" + name, count, mode, 0ms};
}

struct Harness {
  explicit Harness(uint32_t gpus, SchedulerOptions options = {})
      : scheduler(io.get_executor(), gpus, options,
                  [this](const LeaseEvent& event) { events.push_back(event); }) {}

  Slot acquire(LeaseRequest r) {
    auto slot = std::make_shared<std::optional<LeaseResult>>();
    scheduler.async_acquire(std::move(r),
                            [slot](LeaseResult result) { slot->emplace(std::move(result)); });
    settle();
    return slot;
  }
  // Runs what is ready now (grants and failures are posted, not invoked inline).
  void settle() {
    io.poll();
    io.restart();
  }
  // Waits (on real time) until `slot` completes: for timeouts.
  void wait_for(const Slot& slot) {
    while (!slot->has_value()) io.run_one();
    io.restart();
  }
  std::vector<LeaseEventKind> kinds() const {
    std::vector<LeaseEventKind> result;
    for (const auto& event : events) result.push_back(event.kind);
    return result;
  }

  asio::io_context io;
  std::vector<LeaseEvent> events;
  Scheduler scheduler;
};

bool granted(const Slot& slot) {
  return slot->has_value() && slot->value().ok();
}
Lease& lease(const Slot& slot) {
  return slot->value().value();
}
std::string error(const Slot& slot) {
  return slot->value().error().message;
}

TEST(Scheduler, ExclusiveLeasesGoInArrivalOrderWithHandovers) {
  Harness h(1);
  auto a = h.acquire(request("a"));
  auto b = h.acquire(request("b"));
  auto c = h.acquire(request("c"));
  ASSERT_TRUE(granted(a));
  EXPECT_FALSE(b->has_value());
  EXPECT_FALSE(c->has_value());
  EXPECT_EQ(lease(a).gpus(), std::vector<uint32_t>{0});
  EXPECT_EQ(h.scheduler.metrics().queue_length, 2u);

  lease(a).release();
  h.settle();
  ASSERT_TRUE(granted(b));
  EXPECT_FALSE(c->has_value());
  lease(b).release();
  h.settle();
  ASSERT_TRUE(granted(c));

  using K = LeaseEventKind;
  EXPECT_EQ(h.kinds(),
            (std::vector<K>{K::granted, K::wait_started, K::wait_started, K::released, K::granted,
                            K::handover, K::released, K::granted, K::handover}));
  EXPECT_EQ(h.events[2].queue_position, 1u);  // c waits behind b
  EXPECT_EQ(h.events[5].agent, "agent-b");
  EXPECT_EQ(h.events[5].detail, "tenant/task-a/agent-a");  // handed over by a
}

TEST(Scheduler, TenantsAreServedInTurn) {
  Harness h(1);
  auto holder = h.acquire(request("holder", 1, LeaseMode::exclusive, "x"));
  auto a1 = h.acquire(request("a1", 1, LeaseMode::exclusive, "busy-tenant"));
  auto a2 = h.acquire(request("a2", 1, LeaseMode::exclusive, "busy-tenant"));
  auto b1 = h.acquire(request("b1", 1, LeaseMode::exclusive, "quiet-tenant"));
  lease(holder).release();
  h.settle();
  ASSERT_TRUE(granted(a1));
  lease(a1).release();
  h.settle();
  EXPECT_TRUE(granted(b1)) << "the quiet tenant goes before the busy tenant's second agent";
  EXPECT_FALSE(a2->has_value());
}

TEST(Scheduler, SharedLeasesShareOnlyWithinTheirTask) {
  SchedulerOptions options;
  options.max_sharers = 2;
  Harness h(2, options);
  auto a1 = h.acquire(request("a1", 1, LeaseMode::shared));
  auto a1_task = request("a2", 1, LeaseMode::shared);
  a1_task.task = "task-a1";
  auto a2 = h.acquire(a1_task);
  auto a3_task = request("a3", 1, LeaseMode::shared);
  a3_task.task = "task-a1";
  auto b1 = h.acquire(request("b1", 1, LeaseMode::shared));
  ASSERT_TRUE(granted(a1));
  ASSERT_TRUE(granted(a2));
  ASSERT_TRUE(granted(b1));
  EXPECT_EQ(lease(a1).gpus(), std::vector<uint32_t>{0});
  EXPECT_EQ(lease(a2).gpus(), std::vector<uint32_t>{0});  // packed onto its task's GPU
  EXPECT_EQ(lease(b1).gpus(), std::vector<uint32_t>{1});  // another task: never the same GPU
  auto a3 = h.acquire(a3_task);
  EXPECT_FALSE(a3->has_value()) << "GPU 0 already has max_sharers leases, GPU 1 is task b's";
  auto metrics = h.scheduler.metrics();
  EXPECT_EQ(metrics.gpus[0].holders, 2u);
  EXPECT_FALSE(metrics.gpus[0].exclusive);
  lease(a1).release();
  h.settle();
  ASSERT_TRUE(granted(a3));
  EXPECT_EQ(lease(a3).gpus(), std::vector<uint32_t>{0});
}

TEST(Scheduler, ExclusiveWaitsForSharersToLeave) {
  Harness h(1);
  auto s1 = h.acquire(request("s", 1, LeaseMode::shared));
  auto x = h.acquire(request("x"));
  EXPECT_FALSE(x->has_value());
  lease(s1).release();
  h.settle();
  ASSERT_TRUE(granted(x));
  EXPECT_TRUE(h.scheduler.metrics().gpus[0].exclusive);
}

TEST(Scheduler, NobodyOvertakesTheHeadOfTheQueue) {
  Harness h(2);
  auto x = h.acquire(request("x"));
  auto both = h.acquire(request("both", 2));
  auto small = h.acquire(request("small"));
  EXPECT_FALSE(both->has_value());
  EXPECT_FALSE(small->has_value()) << "GPU 1 is free, but the two-GPU request came first";
  lease(x).release();
  h.settle();
  ASSERT_TRUE(granted(both));
  EXPECT_EQ(lease(both).gpus(), (std::vector<uint32_t>{0, 1}));
  EXPECT_FALSE(small->has_value());
  lease(both).release();
  h.settle();
  EXPECT_TRUE(granted(small));
}

TEST(Scheduler, MaximumWaitFailsClearly) {
  Harness h(1);
  auto a = h.acquire(request("a"));
  auto impatient = request("b");
  impatient.max_wait = 5ms;
  auto b = h.acquire(impatient);
  h.wait_for(b);
  ASSERT_FALSE(b->value().ok());
  EXPECT_NE(error(b).find("GPU request of tenant/task-b/agent-b (1 exclusive): no GPU became "
                          "free within 5 ms"),
            std::string::npos)
      << error(b);
  EXPECT_NE(error(b).find("GPU 0 held exclusively by tenant/task-a/agent-a"), std::string::npos)
      << error(b);
  EXPECT_EQ(h.events.back().kind, LeaseEventKind::wait_failed);
  auto metrics = h.scheduler.metrics();
  EXPECT_EQ(metrics.timed_out, 1u);
  EXPECT_EQ(metrics.queue_length, 0u);
  EXPECT_TRUE(lease(a).held());
}

TEST(Scheduler, TimedOutHeadLetsTheOthersThrough) {
  Harness h(2);
  auto x = h.acquire(request("x"));
  auto big = request("big", 2);
  big.max_wait = 5ms;
  auto both = h.acquire(big);
  auto small = h.acquire(request("small"));
  h.wait_for(both);
  h.settle();
  EXPECT_FALSE(both->value().ok());
  ASSERT_TRUE(granted(small)) << "once the blocker left, GPU 1 goes to the next in line";
  EXPECT_EQ(lease(small).gpus(), std::vector<uint32_t>{1});
}

TEST(Scheduler, CancellingAWaitRemovesItFromTheQueue) {
  Harness h(1);
  auto a = h.acquire(request("a"));
  asio::cancellation_signal signal;
  auto cancelled = std::make_shared<std::optional<LeaseResult>>();
  h.scheduler.async_acquire(request("b"),
                            asio::bind_cancellation_slot(signal.slot(), [cancelled](LeaseResult r) {
                              cancelled->emplace(std::move(r));
                            }));
  auto c = h.acquire(request("c"));
  h.settle();
  EXPECT_EQ(h.scheduler.metrics().queue_length, 2u);
  signal.emit(asio::cancellation_type::terminal);
  h.settle();
  ASSERT_TRUE(cancelled->has_value());
  ASSERT_FALSE(cancelled->value().ok());
  EXPECT_NE(cancelled->value().error().message.find("cancelled while waiting for a GPU"),
            std::string::npos);
  EXPECT_EQ(h.scheduler.metrics().cancelled, 1u);
  EXPECT_EQ(h.scheduler.metrics().queue_length, 1u);
  lease(a).release();
  h.settle();
  EXPECT_TRUE(granted(c));
  signal.emit(asio::cancellation_type::terminal);  // late: nothing left to cancel
  h.settle();
}

TEST(Scheduler, AnExceptionNeverStrandsALease) {
  Harness h(1);
  std::vector<std::string> order;
  auto crashing_agent = [&]() -> asio::awaitable<void> {
    auto held = co_await h.scheduler.async_acquire(request("crash"), asio::use_awaitable);
    order.push_back("crash got " + std::to_string(held->gpus().front()));
    throw std::runtime_error("the agent crashed while holding its lease");
  };
  auto next_agent = [&]() -> asio::awaitable<void> {
    auto held = co_await h.scheduler.async_acquire(request("next"), asio::use_awaitable);
    order.push_back(held ? "next got " + std::to_string(held->gpus().front())
                         : held.error().message);
  };
  std::exception_ptr crash;
  asio::co_spawn(h.io, crashing_agent(), [&](std::exception_ptr e) { crash = std::move(e); });
  asio::co_spawn(h.io, next_agent(), asio::detached);
  h.io.run();
  EXPECT_TRUE(crash);
  EXPECT_EQ(order, (std::vector<std::string>{"crash got 0", "next got 0"}));
  EXPECT_EQ(h.scheduler.metrics().gpus[0].holders, 0u);
}

TEST(Scheduler, MovingALeaseMovesOwnership) {
  Harness h(1);
  auto a = h.acquire(request("a"));
  auto b = h.acquire(request("b"));
  Lease moved = std::move(lease(a));
  EXPECT_FALSE(lease(a).held());
  EXPECT_TRUE(moved.held());
  lease(a).release();  // the moved-from lease gives nothing back
  h.settle();
  EXPECT_FALSE(b->has_value());
  moved = Lease();  // assigning over a held lease releases it
  h.settle();
  EXPECT_TRUE(granted(b));
}

TEST(Scheduler, BadRequestsFailAtOnce) {
  Harness h(2);
  auto none = h.acquire(request("none", 0));
  auto too_many = h.acquire(request("many", 3));
  ASSERT_TRUE(none->has_value());
  EXPECT_NE(error(none).find("asks for 0 GPUs"), std::string::npos);
  EXPECT_NE(error(too_many).find("asks for 3 GPUs but this machine has 2"), std::string::npos);
  Harness empty(0);
  auto any = empty.acquire(request("any"));
  EXPECT_NE(error(any).find("this machine has no GPU to lease"), std::string::npos);
  EXPECT_TRUE(h.events.empty());
}

TEST(Scheduler, ShutdownFailsWaitersAndLeavesLeasesInert) {
  std::optional<Lease> survivor;
  Slot waiter;
  asio::io_context io;
  {
    Scheduler scheduler(io.get_executor(), 1);
    auto first = std::make_shared<std::optional<LeaseResult>>();
    waiter = std::make_shared<std::optional<LeaseResult>>();
    scheduler.async_acquire(request("a"), [first](LeaseResult r) { first->emplace(std::move(r)); });
    scheduler.async_acquire(request("b"),
                            [w = waiter](LeaseResult r) { w->emplace(std::move(r)); });
    io.poll();
    io.restart();
    survivor.emplace(std::move(first->value().value()));
  }
  io.poll();
  ASSERT_TRUE(waiter->has_value());
  EXPECT_NE(error(waiter).find("GPU scheduler shut down"), std::string::npos);
  survivor->release();  // the scheduler is gone: nothing to return it to, and no crash
  EXPECT_FALSE(survivor->held());
}

TEST(Scheduler, MetricsCountBusyTimeAndWaits) {
  Harness h(2);
  auto a = h.acquire(request("a"));
  std::this_thread::sleep_for(2ms);
  lease(a).release();
  h.settle();
  auto metrics = h.scheduler.metrics();
  EXPECT_GE(metrics.gpus[0].busy_time, 2ms);
  EXPECT_EQ(metrics.gpus[1].busy_time, 0ns);
  EXPECT_EQ(metrics.granted, 1u);
  EXPECT_EQ(metrics.gpus[0].holders, 0u);
  EXPECT_EQ(h.scheduler.gpu_count(), 2u);
}

}  // namespace
}  // namespace gpu
