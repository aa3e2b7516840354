// kill -9 in the middle of running tasks, then a restart on the same journal: every accepted
// task is there; running ones are interrupted with their events intact (and a final
// task.finished), a task whose spec asked to resume runs again, queued ones run.
#include <gtest/gtest.h>
#include <signal.h>

#include "daemon/task_manager.h"
#include "tests/daemon/child_daemon.h"
#include "tests/daemon/scripted_runner.h"
#include "tests/daemon/test_daemon.h"

namespace agentd {
namespace {

using nlohmann::json;
using testing::spec_for;

TEST(Crash, KillNineThenRestartFindsEveryAcceptedTask) {
  testing::TempDir dir;
  json config = testing::test_config_json(dir.path());
  config["limits"]["max_running_tasks"] = 2;
  auto child = testing::ChildDaemon::start(testing::write_config(dir.path(), config));
  ASSERT_TRUE(child) << child.error().message;
  auto client = testing::WsClient::connect((*child)->tcp(), {std::string("bob-token"), ""});
  ASSERT_TRUE(client) << client.error().message;
  auto submit = [&](json spec) {
    return (*client)->call("task.submit", {{"spec", spec}})["result"].value("task_id", "");
  };
  const std::string running = submit(spec_for("emit 4 block"));
  json resumable = spec_for("block");
  resumable["resume"] = true;
  const std::string resumed = submit(resumable);
  const std::string queued = submit(spec_for("emit 2"));
  ASSERT_FALSE(running.empty() || resumed.empty() || queued.empty());
  // Wait until the running task's events are journalled: its subscription replays them.
  ASSERT_EQ((*client)->call("task.subscribe", {{"task_id", running}})["result"]["state"],
            "running");
  std::vector<json> before;
  while (before.size() < 6)  // task.state x2, then 4 events
    if (auto event = (*client)->next_event())
      before.push_back(*event);
    else
      break;
  ASSERT_EQ(before.size(), 6u);
  EXPECT_EQ((*client)->call("task.get", {{"task_id", queued}})["result"]["state"], "queued");

  (*child)->signal(SIGKILL);
  EXPECT_EQ((*child)->wait(), 128 + SIGKILL);

  testing::TestDaemon restarted(dir.path(), [](Config& c) { c.limits.max_running_tasks = 2; });
  ASSERT_TRUE(restarted.started()) << restarted.started().error().message;
  auto again = restarted.connect("bob-token");
  json interrupted = again->call("task.get", {{"task_id", running}})["result"];
  EXPECT_EQ(interrupted["state"], "interrupted");
  EXPECT_EQ(interrupted["result"]["status"], "interrupted");
  ASSERT_EQ(again->call("task.subscribe", {{"task_id", running}})["result"]["state"],
            "interrupted");
  auto events = again->events_until_finished();
  ASSERT_EQ(events.size(), before.size() + 1);
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(events[i], before[i]) << i;
  EXPECT_EQ(events.back()["type"], "task.finished");
  EXPECT_EQ(events.back()["data"]["state"], "interrupted");

  // The resumable task runs again, its sequence numbers going on from where they stopped.
  EXPECT_EQ(again->call("task.get", {{"task_id", resumed}})["result"]["state"], "running");
  // The queued one ran.
  json done;
  for (int i = 0; i < 200; ++i) {
    done = again->call("task.get", {{"task_id", queued}})["result"];
    if (done["state"] == "succeeded") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(done["state"], "succeeded");
  EXPECT_EQ(again->call("task.cancel", {{"task_id", resumed}})["result"]["state"], "cancelled");
}

}  // namespace
}  // namespace agentd
