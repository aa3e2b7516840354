// The server over real sockets: authentication at the upgrade, health and metrics, the
// protocol's error classes on the wire, limits (message size, binary frames, rate, tenant
// connections, idle), the unix socket, and tenants isolation for every method.
#include "daemon/server.h"

#include <gtest/gtest.h>

#include "daemon/task_manager.h"
#include "tests/daemon/test_daemon.h"

namespace agentd {
namespace {

using nlohmann::json;
using testing::Endpoint;
using testing::spec_for;
using testing::TestDaemon;
using testing::WsClient;

class ServerTest : public ::testing::Test {
 protected:
  void start(const std::function<void(Config&)>& adjust = {}) {
    daemon = std::make_unique<TestDaemon>(dir.path(), adjust);
    ASSERT_TRUE(daemon->started()) << daemon->started().error().message;
  }
  std::string submit(WsClient& client, const std::string& script) {
    json reply = client.call("task.submit", {{"spec", spec_for(script)}});
    EXPECT_TRUE(reply.contains("result")) << reply.dump();
    return reply["result"].value("task_id", "");
  }

  testing::TempDir dir;
  std::unique_ptr<TestDaemon> daemon;
};

int error_code(const json& reply) {
  return reply.contains("error") ? reply["error"]["code"].get<int>() : 0;
}

TEST_F(ServerTest, UpgradeNeedsAValidToken) {
  start();
  auto none = WsClient::connect(daemon->tcp(), {});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("401"), std::string::npos) << none.error().message;
  auto wrong = WsClient::connect(daemon->tcp(), {std::string("nope"), ""});
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("401"), std::string::npos);
  auto reply = testing::http_request(daemon->tcp(), "/v1/ws",
                                     {{"Connection", "Upgrade"},
                                      {"Upgrade", "websocket"},
                                      {"Sec-WebSocket-Version", "13"},
                                      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}});
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->status, 401);
  EXPECT_EQ(reply->header("WWW-Authenticate"), "Bearer realm=\"agentd\"");
  EXPECT_EQ(daemon->metric("agentd_connections_refused_total", "{reason=\"unauthorized\"}"), 3);
}

TEST_F(ServerTest, BrowsersAuthenticateWithTheSubprotocol) {
  start();
  auto client =
      WsClient::connect(daemon->tcp(), {std::nullopt, "agentd.v1, agentd.bearer.bob-token"});
  ASSERT_TRUE(client) << client.error().message;
  EXPECT_EQ((*client)->accepted_subprotocol(), "agentd.v1");
  EXPECT_EQ((*client)->call("server.info")["result"]["tenant"], "bob");
}

TEST_F(ServerTest, HealthAndMetrics) {
  start();
  auto health = testing::http_request(daemon->tcp(), "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body), (json{{"status", "ok"}}));
  auto client = daemon->connect();
  client->call("server.info");
  auto metrics = testing::http_request(daemon->tcp(), "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  for (const char* expected :
       {"# TYPE agentd_connections gauge", "agentd_connections{transport=\"tcp\"} 1",
        "agentd_rpc_requests_total{code=\"0\",method=\"server.info\"} 1",
        "# TYPE agentd_rpc_duration_seconds histogram", "agentd_tasks_finished_total",
        "# TYPE agentd_llm_tokens_total counter", "# TYPE agentd_sandboxes_running gauge"})
    EXPECT_NE(metrics->body.find(expected), std::string::npos) << expected;
  EXPECT_EQ(testing::http_request(daemon->tcp(), "/nothing")->status, 404);
  EXPECT_EQ(testing::http_request(daemon->tcp(), "/v1/ws")->status, 426);
  EXPECT_EQ(
      testing::http_request(daemon->tcp(), "/healthz", {}, boost::beast::http::verb::post)->status,
      405);
}

TEST_F(ServerTest, BadInputGetsErrorsAndTheConnectionStaysOpen) {
  start();
  auto client = daemon->connect();
  client->send_text("{not json");
  EXPECT_EQ(error_code(json::parse(*client->read())), -32700);
  client->send_text(R"({"jsonrpc":"2.0","id":1,"method":"no.such"})");
  json unknown = json::parse(*client->read());
  EXPECT_EQ(error_code(unknown), -32601);
  EXPECT_EQ(unknown["id"], 1);
  client->send_text(R"({"jsonrpc":"2.0","id":2,"method":"task.get","params":{"task_id":5}})");
  json params = json::parse(*client->read());
  EXPECT_EQ(error_code(params), -32602);
  EXPECT_EQ(params["error"]["data"]["path"], "/task_id");
  client->send_binary("\x01\x02");
  EXPECT_EQ(error_code(json::parse(*client->read())), -32600);
  client->send_text("[]");
  EXPECT_EQ(error_code(json::parse(*client->read())), -32600);
  client->send_text(
      R"([{"jsonrpc":"2.0","id":1,"method":"server.info"},{"jsonrpc":"2.0","method":"server.info"},{"jsonrpc":"2.0","id":3,"method":"x"}])");
  json batch = json::parse(*client->read());
  ASSERT_TRUE(batch.is_array());
  ASSERT_EQ(batch.size(), 2u);  // the notification gets no answer
  EXPECT_TRUE(batch[0].contains("result"));
  EXPECT_EQ(error_code(batch[1]), -32601);
  EXPECT_EQ(client->call("server.info")["result"]["tenant"], "alice");
}

TEST_F(ServerTest, AnOversizedMessageGetsAnErrorThenClose1009) {
  start([](Config& config) {
    config.limits.max_message_bytes = config.limits.max_frame_bytes = 4096;
  });
  auto client = daemon->connect();
  client->send_text(std::string(10000, ' '));
  auto error = client->read();
  ASSERT_TRUE(error);
  EXPECT_EQ(error_code(json::parse(*error)), -32600);
  EXPECT_FALSE(client->read());
  EXPECT_EQ(client->close_code(), 1009);
}

TEST_F(ServerTest, RequestsBeyondTheRateAreRefusedWithRetryAfter) {
  start([](Config& config) {
    config.limits.requests_per_second = 1;
    config.limits.request_burst = 3;
  });
  auto client = daemon->connect();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(error_code(client->call("server.info")), 0);
  json limited = client->call("server.info");
  EXPECT_EQ(error_code(limited), -32003);
  EXPECT_GT(limited["error"]["data"]["retry_after_ms"].get<int>(), 0);
}

TEST_F(ServerTest, ConnectionsPerTenantAreLimited) {
  start([](Config& config) { config.limits.connections_per_tenant = 2; });
  auto first = daemon->connect();
  auto second = daemon->connect();
  auto third = WsClient::connect(daemon->tcp(), {std::string("alice-token"), ""});
  ASSERT_FALSE(third);
  EXPECT_NE(third.error().message.find("429"), std::string::npos) << third.error().message;
  auto bob = daemon->connect("bob-token");  // another tenant is not affected
  EXPECT_EQ(error_code(bob->call("server.info")), 0);
  first.reset();
  // The slot comes back once the server has seen the close.
  bool connected = false;
  for (int i = 0; i < 100 && !connected; ++i) {
    connected = WsClient::connect(daemon->tcp(), {std::string("alice-token"), ""}).ok();
    if (!connected) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(connected);
}

TEST_F(ServerTest, IdleConnectionsAreClosed) {
  start([](Config& config) {
    config.limits.idle_timeout = std::chrono::milliseconds(300);
    config.limits.ping_interval = std::chrono::milliseconds(100);
  });
  auto client = daemon->connect();
  // A client waiting in a read answers the server's pings, which keeps it connected well
  // past the idle timeout while it sends nothing.
  json subscribed = client->call("task.submit", {{"spec", spec_for("sleep 1000 emit 2")}});
  ASSERT_EQ(
      error_code(client->call("task.subscribe", {{"task_id", subscribed["result"]["task_id"]}})),
      0);
  auto events = client->events_until_finished();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["type"], "task.finished");
  EXPECT_TRUE(client->is_open());
  // A client that does nothing at all (no pongs either) is dropped.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_FALSE(client->read(std::chrono::seconds(5)));
  EXPECT_GE(daemon->metric("agentd_disconnects_total", "{reason=\"idle\"}"), 1);
}

TEST_F(ServerTest, TheUnixSocketSpeaksTheSameProtocol) {
  start();
  auto client = WsClient::connect(daemon->unix_socket(), {std::string("bob-token"), ""});
  ASSERT_TRUE(client) << client.error().message;
  const std::string id = submit(**client, "emit 3");
  EXPECT_EQ(error_code((*client)->call("task.subscribe", {{"task_id", id}})), 0);
  auto events = (*client)->events_until_finished();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["data"]["state"], "succeeded");
  EXPECT_EQ(testing::http_request(daemon->unix_socket(), "/healthz")->status, 200);
}

TEST_F(ServerTest, EveryMethodRefusesAnotherTenantsTask) {
  start();
  auto alice = daemon->connect("alice-token");
  auto bob = daemon->connect("bob-token");
  const std::string id = submit(*alice, "block");
  const std::string unknown = "t-ffffffffffffffffffffffffffffffff";
  const std::vector<std::pair<std::string, json>> calls = {
      {"task.get", {{"task_id", id}}},    {"task.subscribe", {{"task_id", id}}},
      {"task.cancel", {{"task_id", id}}}, {"task.feedback", {{"task_id", id}, {"message", "stop"}}},
      {"task.list", {{"before", id}}},    {"task.unsubscribe", {{"task_id", id}}},
  };
  for (const auto& [method, params] : calls) {
    json theirs = bob->call(method, params);
    json with_unknown = params;
    for (auto key : {"task_id", "before"})
      if (with_unknown.contains(key)) with_unknown[key] = unknown;
    json none = bob->call(method, with_unknown);
    EXPECT_EQ(error_code(theirs), -32004) << method << ": " << theirs.dump();
    std::string theirs_text = theirs["error"].dump();
    std::string none_text = none["error"].dump();
    theirs_text.replace(theirs_text.find(id), id.size(), unknown);
    EXPECT_EQ(theirs_text, none_text) << method;
  }
  EXPECT_EQ(bob->call("task.list")["result"]["tasks"], json::array());
  EXPECT_TRUE(bob->notifications().empty());
  // Alice's task was untouched and is hers to cancel.
  EXPECT_EQ(alice->call("task.get", {{"task_id", id}})["result"]["state"], "running");
  EXPECT_EQ(alice->call("task.cancel", {{"task_id", id}})["result"]["state"], "cancelled");
  // exec.run and policy.list keep to the tenant's policies.
  json policies = alice->call("policy.list")["result"]["policies"];
  std::vector<std::string> names;
  for (const auto& policy : policies) names.push_back(policy["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"coder", "tester"}));
  EXPECT_EQ(
      error_code(alice->call(
          "exec.run", {{"policy", "researcher"}, {"language", "python"}, {"code", "print(1)"}})),
      -32007);
}

TEST_F(ServerTest, SubscribeAfterReconnectMissesNothing) {
  start();
  auto first = daemon->connect();
  const std::string id = submit(*first, "emit 5 sleep 300 emit 5");
  ASSERT_EQ(error_code(first->call("task.subscribe", {{"task_id", id}})), 0);
  uint64_t last = 0;
  while (last < 4)
    if (auto event = first->next_event())
      last = (*event)["seq"];
    else
      break;
  first.reset();
  auto second = daemon->connect();
  json subscribed = second->call("task.subscribe", {{"task_id", id}, {"after_seq", last}});
  ASSERT_EQ(error_code(subscribed), 0) << subscribed.dump();
  auto events = second->events_until_finished();
  ASSERT_FALSE(events.empty());
  for (const auto& event : events) EXPECT_EQ(event["seq"].get<uint64_t>(), ++last);
  EXPECT_EQ(events.back()["type"], "task.finished");
  EXPECT_EQ(second->call("task.get", {{"task_id", id}})["result"]["last_seq"], last);
}

TEST_F(ServerTest, AClientThatDoesNotReadIsDisconnectedAndItsQueueStaysBounded) {
  constexpr uint64_t kLimit = 256 << 10;
  start([](Config& config) { config.limits.send_queue_bytes = kLimit; });
  auto reader = daemon->connect("bob-token");
  auto client = daemon->connect();
  // 2000 events of 8 KiB, live after the subscription: 16 MB for a client that never reads.
  const std::string id = submit(*client, "sleep 500 flood 2000 8192");
  client->send_text(json{
      {"jsonrpc", "2.0"}, {"id", 99}, {"method", "task.subscribe"}, {"params", {{"task_id", id}}}}
                        .dump());
  bool dropped = false;
  for (int i = 0; i < 600 && !dropped; ++i) {
    dropped = daemon->metric("agentd_disconnects_total", "{reason=\"send_queue\"}") >= 1;
    if (!dropped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(dropped);
  // What the server held for it never went past the limit (plus the one frame in flight).
  EXPECT_LE(daemon->metric("agentd_send_queue_peak_bytes"), kLimit + 16384);
  EXPECT_GT(daemon->metric("agentd_send_queue_peak_bytes"), 0);
  // Reading now gets what the socket buffers held, then the end of the connection.
  int frames = 0;
  while (client->read(std::chrono::seconds(10))) ++frames;
  EXPECT_FALSE(client->is_open());
  EXPECT_LT(frames, 2000);
  // The daemon serves everyone else as before.
  EXPECT_EQ(error_code(reader->call("server.info")), 0);
}

}  // namespace
}  // namespace agentd
