// exec.run against real sandboxes (needs root, namespaces and cgroups; skipped otherwise).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "sandbox/runner.h"
#include "tests/daemon/test_daemon.h"
#include "tests/fixtures/host_probe.h"

namespace agentd {
namespace {

using nlohmann::json;

class ExecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox::RunnerOptions options;
    options.id_lock_dir = dir.path() + "/ids";
    auto runner = sandbox::Runner::create(options);
    if (!runner) AGENTD_SKIP_UNLESS_HOST_CAN_SANDBOX(runner.error().message);
    daemon = std::make_unique<testing::TestDaemon>(dir.path(), nullptr, *runner);
    ASSERT_TRUE(daemon->started()) << daemon->started().error().message;
    client = daemon->connect();
  }
  json exec(json params) {
    return client->call("exec.run", std::move(params), std::chrono::seconds(60));
  }
  // Sends an exec.run of `sleep 60` without waiting for its answer.
  void start_sleeping_run() {
    client->send_text(
        json{{"jsonrpc", "2.0"},
             {"id", 1},
             {"method", "exec.run"},
             {"params", {{"policy", "coder"}, {"language", "bash"}, {"code", "sleep 60"}}}}
            .dump());
  }
  // Whether `done` holds within `limit`, polling.
  static bool eventually(std::chrono::seconds limit, const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    return done();
  }

  testing::TempDir dir;
  std::unique_ptr<testing::TestDaemon> daemon;
  std::unique_ptr<testing::WsClient> client;
};

TEST_F(ExecTest, RunsCodeUnderAPolicyAndReturnsTheSandboxResult) {
  json reply = exec({{"policy", "coder"}, {"language", "python"}, {"code", "print(6*7)"}});
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"]["status"], "ok") << reply.dump();
  EXPECT_EQ(reply["result"]["exit_code"], 0);
  EXPECT_EQ(reply["result"]["stdout"], "42\n");
  EXPECT_TRUE(reply["result"].contains("wall_ms"));
  EXPECT_EQ(daemon->metric("agentd_sandbox_runs_total", "{source=\"exec\",status=\"ok\"}"), 1);
}

TEST_F(ExecTest, StdinFilesAndTimeout) {
  json reply = exec({{"policy", "coder"},
                     {"language", "bash"},
                     {"code", "cat data/in.txt; read line; echo \"$line\""},
                     {"stdin", "from stdin\n"},
                     {"files", {{{"path", "data/in.txt"}, {"content", "from a file\n"}}}}});
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"]["stdout"], "from a file\nfrom stdin\n");
  json slow =
      exec({{"policy", "coder"}, {"language", "bash"}, {"code", "sleep 30"}, {"timeout", 0.5}});
  EXPECT_EQ(slow["result"]["status"], "timeout") << slow.dump();
  // The workspace directories are gone afterwards.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() + "/workspaces/exec"));
}

// A run belongs to its connection: when the client goes away, its sandbox is killed at once
// rather than left to run out its wall time, and the tenant's sandbox slot comes back.
TEST_F(ExecTest, ClosingTheConnectionKillsItsRuns) {
  start_sleeping_run();
  const auto running = [&] { return daemon->metric("agentd_sandboxes_running"); };
  ASSERT_TRUE(eventually(std::chrono::seconds(20), [&] { return running() == 1; }));
  const auto closed = std::chrono::steady_clock::now();
  client.reset();
  ASSERT_TRUE(eventually(std::chrono::seconds(20), [&] { return running() == 0; }));
  EXPECT_LT(std::chrono::steady_clock::now() - closed, std::chrono::seconds(10));
  EXPECT_EQ(daemon->metric("agentd_sandbox_runs_total", "{source=\"exec\",status=\"signaled\"}"),
            1);
}

// This process's sandboxes (the daemon runs in it): its children running as a uid of the
// sandboxes' range (2000000000 and up). Other tests' sandboxes, run in parallel, do not count.
int own_sandbox_processes() {
  const long long self = ::getpid();
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream status(entry.path() / "status");
    bool child = false;
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("PPid:", 0) == 0) child = std::stoll(line.substr(5)) == self;
      if (line.rfind("Uid:", 0) != 0) continue;
      if (child && std::stoull(line.substr(4)) >= 2000000000ull) ++count;
      break;
    }
  }
  return count;
}

// The drain (SIGTERM) closes the connections, which kills their exec.run sandboxes, and waits
// for the runs to clean up before it stops the loop: no sandbox process is left behind.
TEST_F(ExecTest, ShutdownEndsExecRunsAndLeavesNoSandboxBehind) {
  start_sleeping_run();
  ASSERT_TRUE(eventually(std::chrono::seconds(20), [] { return own_sandbox_processes() > 0; }));
  daemon->on_loop([this] {
    daemon->server().shutdown();
    return 0;
  });
  EXPECT_TRUE(eventually(std::chrono::seconds(15), [] { return own_sandbox_processes() == 0; }));
}

TEST_F(ExecTest, RefusesWhatThePolicyOrTheTenantDoesNotAllow) {
  json node = exec({{"policy", "coder"}, {"language", "node"}, {"code", "1"}});
  EXPECT_EQ(node["error"]["code"], -32007) << node.dump();
  json foreign = exec({{"policy", "gpu-coder"}, {"language", "python"}, {"code", "1"}});
  EXPECT_EQ(foreign["error"]["code"], -32007) << foreign.dump();
  json escape = exec({{"policy", "coder"},
                      {"language", "python"},
                      {"code", "1"},
                      {"files", {{{"path", "../../etc/passwd"}, {"content", "x"}}}}});
  EXPECT_EQ(escape["error"]["code"], -32602) << escape.dump();
  EXPECT_EQ(escape["error"]["data"]["path"], "/files/0/path");
  json language = exec({{"policy", "coder"}, {"language", "cobol"}, {"code", "1"}});
  EXPECT_EQ(language["error"]["data"]["path"], "/language");
}

}  // namespace
}  // namespace agentd
