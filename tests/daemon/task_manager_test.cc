// TaskManager on its own (no network): durable submission, gapless sequence numbers, replay
// then live fan-out, cancellation, tenants isolation on every method, quotas.
#include "daemon/task_manager.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "daemon/policy_registry.h"
#include "daemon/task_json.h"
#include "tests/daemon/scripted_runner.h"
#include "tests/daemon/test_daemon.h"

namespace agentd {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using testing::spec_for;

class FakePeer final : public Peer {
 public:
  explicit FakePeer(uint64_t id) : id_(id) {}
  bool send(std::shared_ptr<const std::string> frame) override {
    if (closed_) return false;
    frames.push_back(json::parse(*frame));
    return true;
  }
  uint64_t queued_bytes() const override { return 0; }
  uint64_t send_queue_limit() const override { return 1 << 20; }
  bool closed() const override { return closed_; }
  uint64_t peer_id() const override { return id_; }
  void disconnect_slow_consumer() override { closed_ = true; }

  std::vector<uint64_t> seqs(const std::string& task) const {
    std::vector<uint64_t> out;
    for (const auto& frame : frames)
      if (frame.value("method", "") == "task.event" && frame["params"]["task_id"] == task)
        out.push_back(frame["params"]["seq"]);
    return out;
  }
  bool finished(const std::string& task) const {
    for (const auto& frame : frames)
      if (frame.value("method", "") == "task.event" && frame["params"]["task_id"] == task &&
          frame["params"]["type"] == "task.finished")
        return true;
    return false;
  }
  std::vector<json> frames;

 private:
  uint64_t id_;
  bool closed_ = false;
};

std::vector<uint64_t> one_to(uint64_t n) {
  std::vector<uint64_t> out;
  for (uint64_t i = 1; i <= n; ++i) out.push_back(i);
  return out;
}

class TaskManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto journal = Journal::open({dir.path() + "/journal.db", std::chrono::milliseconds(1)},
                                 io.get_executor());
    ASSERT_TRUE(journal) << journal.error().message;
    journal_ = std::move(*journal);
    auto registry = PolicyRegistry::load({}, policies::default_caps());
    ASSERT_TRUE(registry) << registry.error().message;
    registry_ = *registry;
    alice = Tenant{"alice", {"coder", "tester"}, Quotas{2, 64, 2, 0}};
    bob = Tenant{"bob", {"*"}, Quotas{4, 64, 2, 1000}};
    make_manager();
  }
  void make_manager(TaskManagerOptions options = {}) {
    tasks = std::make_unique<TaskManager>(
        io.get_executor(), *journal_, runner, metrics,
        [this](const Tenant& tenant) -> agents::PolicyLookup {
          return [registry = registry_, tenant](std::string_view name) {
            return tenant.allows_policy(name) ? registry->find(name) : nullptr;
          };
        },
        std::move(options));
  }

  // Runs `operation` on the loop until it completes; the reply, and its after_sent action run.
  Reply run(asio::awaitable<Reply> operation) {
    std::optional<Reply> reply;
    asio::co_spawn(io, std::move(operation),
                   [&](const std::exception_ptr&, Reply r) { reply = std::move(r); });
    spin([&] { return reply.has_value(); });
    if (!reply) return Reply::error(0, "the test's limit passed");
    if (reply->after_sent) reply->after_sent();
    return *reply;
  }
  void spin(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_for(std::chrono::milliseconds(5));
    }
  }
  std::string submit(const Tenant& tenant, const std::string& script,
                     const std::string& policy = "coder") {
    Reply reply = run(tasks->submit(tenant, json{{"spec", spec_for(script, policy)}}));
    EXPECT_FALSE(reply.failure) << reply.failure->message;
    return reply.failure ? "" : reply.result["task_id"].get<std::string>();
  }
  std::string state_of(const Tenant& tenant, const std::string& id) {
    return run(tasks->get(tenant, json{{"task_id", id}})).result.value("state", "");
  }
  void wait_final(const Tenant& tenant, const std::string& id) {
    spin([&] {
      const std::string state = state_of(tenant, id);
      return state != "queued" && state != "running";
    });
  }

  testing::TempDir dir;
  asio::io_context io;
  std::unique_ptr<Journal> journal_;
  std::shared_ptr<const PolicyRegistry> registry_;
  testing::ScriptedRunner runner;
  DaemonMetrics metrics;
  std::unique_ptr<TaskManager> tasks;
  Tenant alice;
  Tenant bob;
};

TEST_F(TaskManagerTest, ASubmittedTaskIsDurableBeforeTheAnswer) {
  const std::string id = submit(alice, "block");
  ASSERT_FALSE(id.empty());
  // A second connection to the same file, as after a crash, sees the row at once.
  sqlite::Database other(dir.path() + "/journal.db");
  auto row = journal_schema::get_task(other, id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->tenant, "alice");
  tasks->cancel_all();
}

TEST_F(TaskManagerTest, EventsAreNumberedFromOneWithoutGapsAndEndWithTaskFinished) {
  auto peer = std::make_shared<FakePeer>(1);
  const std::string id = submit(alice, "emit 20");
  wait_final(alice, id);
  Reply subscribed = run(tasks->subscribe(alice, json{{"task_id", id}}, peer));
  ASSERT_FALSE(subscribed.failure);
  const uint64_t last = subscribed.result["last_seq"];
  spin([&] { return peer->finished(id); });
  // task.state queued, task.state running, 20 events, task.finished.
  EXPECT_EQ(last, 23u);
  EXPECT_EQ(peer->seqs(id), one_to(last));
  EXPECT_EQ(peer->frames.back()["params"]["data"]["state"], "succeeded");
  EXPECT_EQ(peer->frames.back()["params"]["data"]["result"]["answer"], "done");
}

TEST_F(TaskManagerTest, ReplayAfterASequenceNumberThenLiveToEverySubscriber) {
  const std::string id = submit(alice, "emit 6 sleep 200 emit 6");
  spin([&] { return state_of(alice, id) == "running"; });
  auto early = std::make_shared<FakePeer>(1);
  auto late = std::make_shared<FakePeer>(2);
  ASSERT_FALSE(run(tasks->subscribe(alice, json{{"task_id", id}}, early)).failure);
  spin([&] { return early->seqs(id).size() >= 5; });
  ASSERT_FALSE(run(tasks->subscribe(alice, json{{"task_id", id}, {"after_seq", 3}}, late)).failure);
  spin([&] { return early->finished(id) && late->finished(id); });
  const auto all = early->seqs(id);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all, one_to(all.back()));
  std::vector<uint64_t> after_three(all.begin() + 3, all.end());
  EXPECT_EQ(late->seqs(id), after_three);
}

TEST_F(TaskManagerTest, UnsubscribeStopsTheEvents) {
  auto peer = std::make_shared<FakePeer>(1);
  const std::string id = submit(alice, "emit 3 sleep 300 emit 3");
  ASSERT_FALSE(run(tasks->subscribe(alice, json{{"task_id", id}}, peer)).failure);
  spin([&] { return peer->seqs(id).size() >= 3; });
  EXPECT_FALSE(run(tasks->unsubscribe(alice, json{{"task_id", id}}, 1)).failure);
  const size_t seen = peer->seqs(id).size();
  wait_final(alice, id);
  EXPECT_EQ(peer->seqs(id).size(), seen);
}

TEST_F(TaskManagerTest, CancelEndsARunningTaskAndRefusesAFinishedOne) {
  const std::string id = submit(alice, "block");
  spin([&] { return runner.started == 1; });
  Reply cancelled = run(tasks->cancel(alice, json{{"task_id", id}}));
  ASSERT_FALSE(cancelled.failure);
  EXPECT_EQ(cancelled.result["state"], "cancelled");
  Reply again = run(tasks->cancel(alice, json{{"task_id", id}}));
  ASSERT_TRUE(again.failure);
  EXPECT_EQ(again.failure->code, rpc::task_finished);
  Reply feedback = run(tasks->feedback(alice, json{{"task_id", id}, {"message", "hi"}}));
  ASSERT_TRUE(feedback.failure);
  EXPECT_EQ(feedback.failure->code, rpc::task_finished);
}

TEST_F(TaskManagerTest, AnotherTenantsTaskAnswersExactlyLikeAnUnknownOne) {
  const std::string id = submit(alice, "block");
  const std::string unknown = "t-00000000000000000000000000000000";
  auto peer = std::make_shared<FakePeer>(9);
  auto same = [&](const std::function<asio::awaitable<Reply>(const std::string&)>& method) {
    Reply theirs = run(method(id));
    Reply none = run(method(unknown));
    ASSERT_TRUE(theirs.failure);
    ASSERT_TRUE(none.failure);
    EXPECT_EQ(theirs.failure->code, rpc::task_not_found);
    EXPECT_EQ(none.failure->code, rpc::task_not_found);
    // The same message, but for the id the caller sent.
    EXPECT_EQ(theirs.failure->message.substr(0, theirs.failure->message.size() - id.size()),
              none.failure->message.substr(0, none.failure->message.size() - unknown.size()));
  };
  same([&](const std::string& t) { return tasks->get(bob, json{{"task_id", t}}); });
  same([&](const std::string& t) { return tasks->cancel(bob, json{{"task_id", t}}); });
  same([&](const std::string& t) {
    return tasks->feedback(bob, json{{"task_id", t}, {"message", "x"}});
  });
  same([&](const std::string& t) { return tasks->subscribe(bob, json{{"task_id", t}}, peer); });
  same([&](const std::string& t) { return tasks->list(bob, json{{"before", t}}); });
  Reply listed = run(tasks->list(bob, json::object()));
  EXPECT_EQ(listed.result["tasks"], json::array());
  EXPECT_TRUE(peer->frames.empty());
  // The owner still sees it running: bob's calls changed nothing.
  EXPECT_EQ(state_of(alice, id), "running");
  tasks->cancel_all();
}

TEST_F(TaskManagerTest, ListPagesNewestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(submit(bob, "emit 1"));
    wait_final(bob, ids.back());
  }
  Reply first = run(tasks->list(bob, json{{"limit", 2}}));
  ASSERT_FALSE(first.failure);
  ASSERT_EQ(first.result["tasks"].size(), 2u);
  EXPECT_EQ(first.result["tasks"][0]["task_id"], ids[2]);
  EXPECT_EQ(first.result["tasks"][0]["state"], "succeeded");
  EXPECT_EQ(first.result["tasks"][0]["pattern"], "vote");
  EXPECT_EQ(first.result["next"], ids[1]);
  Reply second = run(tasks->list(bob, json{{"limit", 2}, {"before", ids[1]}}));
  ASSERT_EQ(second.result["tasks"].size(), 1u);
  EXPECT_EQ(second.result["tasks"][0]["task_id"], ids[0]);
  EXPECT_FALSE(second.result.contains("next"));
  Reply bad_state = run(tasks->list(bob, json{{"state", "weird"}}));
  ASSERT_TRUE(bad_state.failure);
  EXPECT_EQ(bad_state.failure->code, rpc::invalid_params);
}

TEST_F(TaskManagerTest, QuotaOfConcurrentTasks) {
  submit(alice, "block");
  submit(alice, "block");
  Reply third = run(tasks->submit(alice, json{{"spec", spec_for("block")}}));
  ASSERT_TRUE(third.failure);
  EXPECT_EQ(third.failure->code, rpc::quota_exceeded);
  EXPECT_EQ(third.failure->data, (json{{"quota", "concurrent_tasks"}, {"limit", 2}}));
  // Another tenant is not affected.
  EXPECT_FALSE(submit(bob, "emit 1").empty());
  tasks->cancel_all();
}

TEST_F(TaskManagerTest, QuotaOfAgents) {
  Tenant small{"small", {"*"}, Quotas{8, 3, 1, 0}};
  Reply first = run(tasks->submit(small, json{{"spec", spec_for("block")}}));  // vote, n=2
  EXPECT_FALSE(first.failure);
  Reply second = run(tasks->submit(small, json{{"spec", spec_for("emit 1")}}));
  ASSERT_TRUE(second.failure);
  EXPECT_EQ(second.failure->code, rpc::quota_exceeded);
  EXPECT_EQ(second.failure->data, (json{{"quota", "agents"}, {"limit", 3}}));
  tasks->cancel_all();
  json big = spec_for("emit 1");
  big["options"]["n"] = 5;
  Reply too_big = run(tasks->submit(small, json{{"spec", big}}));
  ASSERT_TRUE(too_big.failure);
  EXPECT_EQ(too_big.failure->data["quota"], "agents");
}

TEST_F(TaskManagerTest, QuotaOfTokensPerDay) {
  // bob may spend 1000 tokens a day; this task reports 1000.
  const std::string id = submit(bob, "tokens 1000");
  wait_final(bob, id);
  Reply refused = run(tasks->submit(bob, json{{"spec", spec_for("emit 1")}}));
  ASSERT_TRUE(refused.failure);
  EXPECT_EQ(refused.failure->data, (json{{"quota", "tokens_per_day"}, {"limit", 1000}}));
}

TEST_F(TaskManagerTest, SpecsAndPoliciesAreCheckedAtSubmit) {
  Reply bad = run(tasks->submit(alice, json{{"spec", {{"pattern", "vote"}, {"prompt", "x"}}}}));
  ASSERT_TRUE(bad.failure);
  EXPECT_EQ(bad.failure->code, rpc::invalid_params);
  EXPECT_EQ(bad.failure->data["path"].get<std::string>().rfind("/spec/roles", 0), 0u)
      << bad.failure->message;

  Reply forbidden = run(tasks->submit(alice, json{{"spec", spec_for("x", "researcher")}}));
  ASSERT_TRUE(forbidden.failure);
  EXPECT_EQ(forbidden.failure->code, rpc::policy_not_allowed);
  EXPECT_EQ(forbidden.failure->data["path"], "/spec/roles/voter/policy");

  Reply missing = run(tasks->submit(alice, json::object()));
  ASSERT_TRUE(missing.failure);
  EXPECT_EQ(missing.failure->data["path"], "/spec");

  Reply not_object = run(tasks->submit(alice, json{{"spec", "fan_out"}}));
  ASSERT_TRUE(not_object.failure);
  EXPECT_EQ(not_object.failure->data["path"], "/spec") << not_object.failure->message;
  EXPECT_EQ(not_object.failure->message.find("expected expected"), std::string::npos);
}

TEST_F(TaskManagerTest, RolesDefaultFillWhatTheSpecLeavesOut) {
  TaskManagerOptions options;
  options.roles_default = {{"*", {{"model", "scripted"}, {"policy", "tester"}}},
                           {"voter", {{"policy", "coder"}}}};
  make_manager(options);
  json spec = spec_for("emit 1");
  spec["roles"]["voter"] = json::object();
  Reply submitted = run(tasks->submit(alice, json{{"spec", spec}}));
  ASSERT_FALSE(submitted.failure) << submitted.failure->message;
  Reply got = run(tasks->get(alice, json{{"task_id", submitted.result["task_id"]}}));
  EXPECT_EQ(got.result["spec"]["roles"]["voter"]["model"], "scripted");  // from "*"
  EXPECT_EQ(got.result["spec"]["roles"]["voter"]["policy"], "coder");    // the role's own
}

TEST_F(TaskManagerTest, IdempotencyKeyReturnsTheSameTask) {
  json params{{"spec", spec_for("block")}, {"idempotency_key", "k1"}};
  Reply first = run(tasks->submit(alice, params));
  Reply second = run(tasks->submit(alice, params));
  ASSERT_FALSE(first.failure);
  ASSERT_FALSE(second.failure);
  EXPECT_EQ(first.result["task_id"], second.result["task_id"]);
  EXPECT_LE(runner.started.load(), 1);
  tasks->cancel_all();
}

TEST_F(TaskManagerTest, RecoveryInterruptsRunningTasksKeepsTheirEventsAndRequeuesQueuedOnes) {
  // Rows as a daemon killed mid-task leaves them.
  sqlite::Database db(dir.path() + "/journal.db");
  auto row = [&](const std::string& id, const std::string& state, bool resume) {
    journal_schema::TaskRow r;
    r.id = id;
    r.tenant = "alice";
    r.state = state;
    r.pattern = "vote";
    r.spec = agents::to_json(*agents::parse_task_spec(spec_for("emit 2"))).dump();
    r.created_at = now_ms();
    r.resume = resume;
    journal_schema::insert_task(db, r);
  };
  row("t-run", "running", false);
  row("t-resume", "running", true);
  row("t-queued", "queued", false);
  for (uint64_t seq = 1; seq <= 3; ++seq)
    journal_schema::append_event(db, {"t-run", seq, "x", "", now_ms(),
                                      event_params_text("t-run", seq, "x", "", now_ms(), {})});
  make_manager();
  auto recovered = tasks->recover([&](const std::string& name) {
    return name == "alice" ? std::make_shared<const Tenant>(alice) : nullptr;
  });
  ASSERT_TRUE(recovered) << recovered.error().message;
  wait_final(alice, "t-resume");
  wait_final(alice, "t-queued");
  EXPECT_EQ(state_of(alice, "t-run"), "interrupted");
  EXPECT_EQ(state_of(alice, "t-resume"), "succeeded");
  EXPECT_EQ(state_of(alice, "t-queued"), "succeeded");
  auto peer = std::make_shared<FakePeer>(1);
  ASSERT_FALSE(run(tasks->subscribe(alice, json{{"task_id", "t-run"}}, peer)).failure);
  spin([&] { return peer->finished("t-run"); });
  EXPECT_EQ(peer->seqs("t-run"), one_to(4));
  EXPECT_EQ(peer->frames.back()["params"]["data"]["state"], "interrupted");
}

}  // namespace
}  // namespace agentd
