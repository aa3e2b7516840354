// The daemon as a process: SIGTERM drains then exits 0, the drain deadline cancels what is
// left, SIGHUP reloads tokens without dropping connections, and systemd's notify protocol
// (READY, STATUS, RELOADING, STOPPING, WATCHDOG) on a socket the test owns.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <filesystem>
#include <fstream>

#include "daemon/journal_schema.h"
#include "daemon/sqlite.h"
#include "daemon/tenants.h"
#include "tests/daemon/child_daemon.h"
#include "tests/daemon/scripted_runner.h"
#include "tests/daemon/test_daemon.h"

namespace agentd {
namespace {

using nlohmann::json;
using testing::ChildDaemon;
using testing::spec_for;
using testing::WsClient;

int error_code(const json& reply) {
  return reply.contains("error") ? reply["error"]["code"].get<int>() : 0;
}

std::unique_ptr<WsClient> connect(const ChildDaemon& child, const std::string& token) {
  auto client = WsClient::connect(child.tcp(), {token, ""});
  if (!client) throw std::runtime_error(client.error().message);
  return std::move(*client);
}

std::string state_in_journal(const std::string& dir, const std::string& id) {
  sqlite::Database db(dir + "/journal.db");
  auto row = journal_schema::get_task(db, id);
  return row ? row->state : "absent";
}

TEST(Lifecycle, SigtermLetsRunningTasksFinishThenExitsZero) {
  testing::TempDir dir;
  auto child =
      ChildDaemon::start(testing::write_config(dir.path(), testing::test_config_json(dir.path())));
  ASSERT_TRUE(child) << child.error().message;
  auto client = connect(**child, "alice-token");
  json submitted = client->call("task.submit", {{"spec", spec_for("sleep 700 emit 2")}});
  const std::string id = submitted["result"]["task_id"];
  ASSERT_EQ(error_code(client->call("task.subscribe", {{"task_id", id}})), 0);
  (*child)->signal(SIGTERM);
  // Draining: new work is refused on the open connection, the running task goes on.
  json refused;
  for (int i = 0; i < 100 && error_code(refused) != -32006; ++i) {
    refused = client->call("task.submit", {{"spec", spec_for("emit 1")}});
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(error_code(refused), -32006) << refused.dump();
  auto events = client->events_until_finished();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["data"]["state"], "succeeded");
  EXPECT_EQ((*child)->wait(), 0);
  EXPECT_EQ(state_in_journal(dir.path(), id), "succeeded");
}

// A WebSocket upgrade as any client sends it, on a fresh connection: the status and body of a
// refusal are what a client's library shows.
base::Expected<testing::HttpReply> upgrade(const testing::Endpoint& endpoint) {
  return testing::http_request(endpoint, "/v1/ws",
                               {{"Connection", "Upgrade"},
                                {"Upgrade", "websocket"},
                                {"Sec-WebSocket-Version", "13"},
                                {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                {"Authorization", "Bearer alice-token"}});
}

TEST(Lifecycle, WhileDrainingNewConnectionsAreAnswered503UntilTheDrainEnds) {
  testing::TempDir dir;
  auto child =
      ChildDaemon::start(testing::write_config(dir.path(), testing::test_config_json(dir.path())));
  ASSERT_TRUE(child) << child.error().message;
  auto client = connect(**child, "alice-token");
  const std::string id =
      client->call("task.submit", {{"spec", spec_for("block")}})["result"].value("task_id", "");
  ASSERT_FALSE(id.empty());
  (*child)->signal(SIGTERM);
  // The drain starts once the loop handles the signal; until then /healthz says ok.
  base::Expected<testing::HttpReply> health = base::Error{"not asked"};
  for (int i = 0; i < 500; ++i) {
    health = testing::http_request((*child)->tcp(), "/healthz");
    if (!health || health->status != 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(health) << "a new connection during the drain: " << health.error().message;
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(health->body, R"({"status":"draining"})");
  auto refused = upgrade((*child)->tcp());
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(refused->status, 503);
  EXPECT_NE(refused->body.find("draining"), std::string::npos) << refused->body;
  auto ws = WsClient::connect((*child)->tcp(), {std::string("alice-token"), ""});
  ASSERT_FALSE(ws);
  EXPECT_NE(ws.error().message.find("HTTP 503"), std::string::npos) << ws.error().message;
  const testing::Endpoint unix_socket{0, dir.path() + "/agentd.sock"};
  auto unix_refused = upgrade(unix_socket);
  ASSERT_TRUE(unix_refused) << unix_refused.error().message;
  EXPECT_EQ(unix_refused->status, 503);
  auto metrics = testing::http_request((*child)->tcp(), "/metrics");
  ASSERT_TRUE(metrics) << metrics.error().message;
  EXPECT_EQ(metrics->status, 200);
  // The connection from before the drain goes on, and so does its task.
  EXPECT_EQ(client->call("task.get", {{"task_id", id}})["result"]["state"], "running");
  (*child)->signal(SIGTERM);  // a second one ends the drain at once
  EXPECT_EQ((*child)->wait(), 0);
  EXPECT_EQ(state_in_journal(dir.path(), id), "cancelled");
  // The listeners were closed when the drain ended (the unix socket's file goes with them).
  EXPECT_FALSE(std::filesystem::exists(unix_socket.unix_path));
}

TEST(Lifecycle, TheDrainDeadlineCancelsWhatStillRunsAndKeepsQueuedTasks) {
  testing::TempDir dir;
  json config = testing::test_config_json(dir.path());
  config["shutdown"]["drain_seconds"] = 0.3;
  config["limits"]["max_running_tasks"] = 1;
  auto child = ChildDaemon::start(testing::write_config(dir.path(), config));
  ASSERT_TRUE(child) << child.error().message;
  auto client = connect(**child, "alice-token");
  const std::string running =
      client->call("task.submit", {{"spec", spec_for("block")}})["result"]["task_id"];
  const std::string queued =
      client->call("task.submit", {{"spec", spec_for("emit 1")}})["result"]["task_id"];
  EXPECT_EQ(client->call("task.get", {{"task_id", queued}})["result"]["state"], "queued");
  (*child)->signal(SIGTERM);
  EXPECT_EQ((*child)->wait(), 0);
  EXPECT_EQ(state_in_journal(dir.path(), running), "cancelled");
  EXPECT_EQ(state_in_journal(dir.path(), queued), "queued");  // the next daemon runs it
}

TEST(Lifecycle, SighupReloadsTokensWithoutDroppingConnections) {
  testing::TempDir dir;
  json config = testing::test_config_json(dir.path());
  std::filesystem::create_directories(dir.path() + "/policies");
  config["policies"] = {{"dirs", {dir.path() + "/policies"}}};
  config["tenants"][0]["policies"] = {"*"};
  const std::string file = testing::write_config(dir.path(), config);
  auto child = ChildDaemon::start(file);
  ASSERT_TRUE(child) << child.error().message;
  auto alice = connect(**child, "alice-token");
  auto bob = connect(**child, "bob-token");
  // A new policy appears, alice's token is rotated, bob is removed.
  std::ofstream(dir.path() + "/policies/custom.json")
      << R"({"extends": "builtin:coder", "description": "custom"})";
  config["tenants"][0]["token_sha256"] = token_sha256_hex("alice-new");
  config["tenants"].erase(1);
  testing::write_config(dir.path(), config);
  (*child)->signal(SIGHUP);
  bool reloaded = false;
  for (int i = 0; i < 200 && !reloaded; ++i) {
    reloaded = WsClient::connect((*child)->tcp(), {std::string("alice-new"), ""}).ok();
    if (!reloaded) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_TRUE(reloaded);
  EXPECT_FALSE(WsClient::connect((*child)->tcp(), {std::string("alice-token"), ""}));
  // The open connections stayed; bob's tenant is gone, so its calls are refused.
  json policies = alice->call("server.info")["result"]["policies"];
  EXPECT_NE(std::find(policies.begin(), policies.end(), "custom"), policies.end())
      << policies.dump();
  EXPECT_EQ(error_code(bob->call("server.info")), -32001);
  // A broken file changes nothing.
  std::ofstream(file) << "{ broken";
  (*child)->signal(SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(WsClient::connect((*child)->tcp(), {std::string("alice-new"), ""}));
  (*child)->signal(SIGTERM);
  EXPECT_EQ((*child)->wait(), 0);
}

// A datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    timeval limit{0, 200'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  }
  ~NotifySocket() { ::close(fd_); }
  bool bound() const { return bound_; }
  // Messages until one contains `wanted` (true) or `limit` passes (false).
  bool wait_for(const std::string& wanted, std::chrono::seconds limit = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) continue;
      received.emplace_back(buffer, static_cast<size_t>(n));
      if (received.back().find(wanted) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> received;

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(Lifecycle, NotifiesSystemdReadyStatusWatchdogReloadingStopping) {
  testing::TempDir dir;
  NotifySocket notify(dir.path() + "/notify");
  ASSERT_TRUE(notify.bound());
  const std::string socket_path = dir.path() + "/notify";
  auto child = ChildDaemon::start(
      testing::write_config(dir.path(), testing::test_config_json(dir.path())), [socket_path] {
        ::setenv("NOTIFY_SOCKET", socket_path.c_str(), 1);
        ::setenv("WATCHDOG_USEC", "200000", 1);
        ::unsetenv("WATCHDOG_PID");
      });
  ASSERT_TRUE(child) << child.error().message;
  ASSERT_TRUE(notify.wait_for("READY=1"));
  EXPECT_NE(notify.received.back().find("STATUS=serving: 0 connections"), std::string::npos)
      << notify.received.back();
  EXPECT_TRUE(notify.wait_for("WATCHDOG=1"));
  EXPECT_TRUE(notify.wait_for("WATCHDOG=1"));  // again, half an interval later
  (*child)->signal(SIGHUP);
  EXPECT_TRUE(notify.wait_for("RELOADING=1"));
  EXPECT_TRUE(notify.wait_for("READY=1"));
  (*child)->signal(SIGTERM);
  EXPECT_TRUE(notify.wait_for("STOPPING=1"));
  EXPECT_EQ((*child)->wait(), 0);
}

}  // namespace
}  // namespace agentd
