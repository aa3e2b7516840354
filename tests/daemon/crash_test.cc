// kill -9 in the middle of running tasks, then a restart on the same journal: every accepted
// task is there; running ones are interrupted with their events intact (and a final
// task.finished), a task whose spec asked to resume runs again, queued ones run. And the
// restart removes what the dead daemon left: its sandboxes' cgroups and workspaces nothing
// needs any more.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "daemon/task_manager.h"
#include "sandbox/cgroup.h"
#include "tests/daemon/child_daemon.h"
#include "tests/daemon/scripted_runner.h"
#include "tests/daemon/test_daemon.h"
#include "tests/fixtures/host_probe.h"

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

namespace fs = std::filesystem;

// The names of `owner`'s sandbox cgroups ("sbx-<pid>-<n>") under any of `parents`.
std::set<std::string> cgroups_of(pid_t owner, const std::vector<std::string>& parents) {
  const std::string prefix = "sbx-" + std::to_string(owner) + "-";
  std::set<std::string> names;
  for (const auto& parent : parents) {
    std::error_code error;
    for (fs::directory_iterator it(parent, error), end; !error && it != end; it.increment(error))
      if (it->path().filename().string().starts_with(prefix))
        names.insert(it->path().filename().string());
  }
  return names;
}

// Whether every one of `names` holds a process in `parent` (the sandboxes run).
bool all_hold_a_process(const std::set<std::string>& names, const std::string& parent) {
  for (const auto& name : names) {
    std::ifstream procs(parent + "/" + name + "/cgroup.procs");
    pid_t pid = 0;
    if (!(procs >> pid)) return false;
  }
  return true;
}

bool eventually(std::chrono::seconds limit, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  return done();
}

// For ChildDaemon: the daemon's log goes to `file`.
std::function<void()> log_to(const std::string& file) {
  return [file] {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) ::dup2(fd, STDERR_FILENO);
  };
}

std::string slurp(const std::string& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Crash, KillNineWithRunningSandboxesThenRestartRemovesWhatTheDeadDaemonLeft) {
  if (const std::string missing = host_probe::sandbox_prerequisites_missing(); !missing.empty())
    GTEST_SKIP() << "sandboxes need " << missing;
  testing::TempDir dir;
  const std::string config =
      testing::write_config(dir.path(), testing::test_config_json(dir.path()));
  // The daemons are forked from here, so they share this process's sandboxes' parent.
  auto cgroups = sandbox::cgroup::Manager::open();
  ASSERT_TRUE(cgroups) << cgroups.error().message;
  const std::vector<std::string> parents = (*cgroups)->parent_dirs();
  auto first = testing::ChildDaemon::start(config, log_to(dir.path() + "/first.log"), true);
  ASSERT_TRUE(first) << first.error().message << "\n" << slurp(dir.path() + "/first.log");
  const pid_t dead = (*first)->pid();
  auto client = testing::WsClient::connect((*first)->tcp(), {std::string("alice-token"), ""});
  ASSERT_TRUE(client) << client.error().message;
  json resumable = spec_for("block");
  resumable["resume"] = true;
  const std::string resumed =
      (*client)->call("task.submit", {{"spec", resumable}})["result"].value("task_id", "");
  ASSERT_FALSE(resumed.empty());
  // Two sandboxes sleeping when the daemon dies, each with a workspace (exec.run makes one
  // for input files).
  const json files = {{{"path", "in.txt"}, {"content", "x"}}};
  for (int id : {101, 102})
    (*client)->send_text(
        json{{"jsonrpc", "2.0"},
             {"id", id},
             {"method", "exec.run"},
             {"params",
              {{"policy", "coder"}, {"language", "bash"}, {"code", "sleep 60"}, {"files", files}}}}
            .dump());
  ASSERT_TRUE(eventually(std::chrono::seconds(30),
                         [&] {
                           const auto names = cgroups_of(dead, parents);
                           return names.size() == 2 && all_hold_a_process(names, parents.front());
                         }))
      << "the daemon's two sandboxes did not start\n"
      << slurp(dir.path() + "/first.log");
  // Workspaces: the resumable task's (it may still need it), one of a task the journal does
  // not know (pruned, say, by a daemon that died before removing it), and the operator's.
  const fs::path workspaces = dir.path() + "/workspaces";
  const std::string unknown_task = "t-" + std::string(32, 'a');
  for (const fs::path& made :
       {workspaces / resumed / "a1", workspaces / unknown_task / "a1", workspaces / "notes"})
    fs::create_directories(made);
  // A link a sandbox planted to something of the host's: removed, never followed.
  const fs::path host_dir = dir.path() + "/host-dir";
  fs::create_directories(host_dir);
  std::ofstream(host_dir / "keep.txt") << "kept";
  fs::create_directory_symlink(host_dir, workspaces / unknown_task / "a1" / "escape");
  ASSERT_EQ(std::distance(fs::directory_iterator(workspaces / "exec"), {}), 2);

  (*first)->signal(SIGKILL);
  ASSERT_EQ((*first)->wait(), 128 + SIGKILL);
  ASSERT_EQ(cgroups_of(dead, parents).size(), 2u) << "kill -9 left no cgroups to remove";

  auto second = testing::ChildDaemon::start(config, log_to(dir.path() + "/second.log"), true);
  ASSERT_TRUE(second) << second.error().message << "\n" << slurp(dir.path() + "/second.log");
  const std::string log = slurp(dir.path() + "/second.log");
  EXPECT_TRUE(cgroups_of(dead, parents).empty());
  EXPECT_NE(log.find("agentd: removed 2 sandbox cgroups left by dead process " +
                     std::to_string(dead) + "\n"),
            std::string::npos)
      << log;
  EXPECT_TRUE(fs::is_empty(workspaces / "exec"));
  EXPECT_FALSE(fs::exists(workspaces / unknown_task));
  EXPECT_TRUE(fs::exists(host_dir / "keep.txt"));
  EXPECT_TRUE(fs::exists(workspaces / resumed / "a1"));
  EXPECT_TRUE(fs::exists(workspaces / "notes"));
  EXPECT_NE(log.find("agentd: removed 3 workspaces left by a dead daemon (2 of exec.run, 1 of "
                     "tasks the journal does not have)\n"),
            std::string::npos)
      << log;
  (*second)->signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  (*second)->signal(SIGTERM);  // the resumed task blocks: end the drain at once
  EXPECT_EQ((*second)->wait(), 0);
}

}  // namespace
}  // namespace agentd
