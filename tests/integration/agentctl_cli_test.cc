// agentctl's command line and rendering, without a daemon: what a user types becomes the
// right invocation or a usage error, and text from the server cannot drive the terminal.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "daemon/agentctl/cli.h"
#include "daemon/agentctl/render.h"

namespace agentctl {
namespace {

std::map<std::string, std::string> fake_env;
const char* lookup(const char* name) {
  auto it = fake_env.find(name);
  return it == fake_env.end() ? nullptr : it->second.c_str();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_env.clear(); }
  base::Expected<Invocation> parse(const std::vector<std::string>& args) {
    return parse_command_line(args, lookup);
  }
};

TEST_F(CliTest, SubmitFollowWithFlagsAnywhere) {
  auto inv = parse(
      {"--json", "submit", "spec.json", "--follow", "--server", "ws://h:1/v1/ws", "--token=abc"});
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(inv->command, "submit");
  EXPECT_EQ(inv->arguments, std::vector<std::string>{"spec.json"});
  EXPECT_TRUE(inv->follow);
  EXPECT_TRUE(inv->json);
  EXPECT_EQ(inv->endpoint.kind, Endpoint::Kind::tcp);
  EXPECT_EQ(inv->endpoint.host, "h");
  EXPECT_EQ(inv->endpoint.port, "1");
  EXPECT_EQ(inv->token, "abc");
}

TEST_F(CliTest, EnvironmentFillsWhatFlagsLeaveOut) {
  fake_env = {{"AGENTD_SERVER", "wss://example.org"}, {"AGENTD_TOKEN", "from-env"}};
  auto inv = parse({"info"});
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(inv->endpoint.kind, Endpoint::Kind::tls);
  EXPECT_EQ(inv->endpoint.port, "443");
  EXPECT_EQ(inv->endpoint.path, "/v1/ws");
  EXPECT_EQ(inv->token, "from-env");
  auto flagged = parse({"info", "--unix", "/tmp/s", "--token", "flag"});
  ASSERT_TRUE(flagged);
  EXPECT_EQ(flagged->endpoint.kind, Endpoint::Kind::unix_socket);
  EXPECT_EQ(flagged->endpoint.unix_path, "/tmp/s");
  EXPECT_EQ(flagged->token, "flag");
}

TEST_F(CliTest, DefaultsToTheSystemSocket) {
  auto inv = parse({"policies"});
  ASSERT_TRUE(inv);
  EXPECT_EQ(inv->endpoint.kind, Endpoint::Kind::unix_socket);
  EXPECT_EQ(inv->endpoint.unix_path, "/run/agentd/agentd.sock");
  EXPECT_EQ(inv->token, "");
}

TEST_F(CliTest, TokenFileFirstLineOnly) {
  const std::string path = ::testing::TempDir() + "/agentctl-token";
  std::ofstream(path) << "secret-token\nsecond line\n";
  fake_env = {{"AGENTD_TOKEN_FILE", path}};
  auto inv = parse({"info"});
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(inv->token, "secret-token");
  auto both = parse({"info", "--token", "a", "--token-file", path});
  EXPECT_FALSE(both);
  std::remove(path.c_str());
}

TEST_F(CliTest, DoubleDashLetsAMessageStartWithADash) {
  auto inv = parse({"feedback", "t_1", "--agent", "worker-2", "--", "--not an option"});
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(inv->arguments, (std::vector<std::string>{"t_1", "--not an option"}));
  EXPECT_EQ(inv->agent, "worker-2");
}

TEST_F(CliTest, ExecNeedsPolicyAndLanguage) {
  EXPECT_FALSE(parse({"exec", "x.py"}));
  auto inv = parse({"exec", "--policy", "coder", "--language", "python", "--timeout", "2.5", "-"});
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(inv->arguments[0], "-");
  EXPECT_DOUBLE_EQ(*inv->timeout, 2.5);
}

TEST_F(CliTest, UsageErrorsSayWhat) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{}, "no command"},
      {{"launch"}, "unknown command"},
      {{"get"}, "expected 1 argument"},
      {{"get", "a", "b"}, "expected 1 argument"},
      {{"list", "--limit", "0"}, "--limit"},
      {{"list", "--limit", "12x"}, "--limit"},
      {{"get", "t", "--follow"}, "--follow"},
      {{"get", "t", "--state", "running"}, "not an option of get"},
      {{"info", "--bogus"}, "unknown option"},
      {{"info", "--server"}, "needs a value"},
      {{"info", "--server", "http://h:1"}, "ws://"},
      {{"info", "--server", "h:port"}, "HOST:PORT"},
      {{"info", "--server", "ws://h:1", "--unix", "/s"}, "pass one"},
      {{"exec", "--policy", "p", "--language", "c", "--timeout", "-1", "f"}, "--timeout"},
      {{"info", "--token", "a\nb"}, "line break"},
  };
  for (const auto& c : cases) {
    auto inv = parse(c.args);
    ASSERT_FALSE(inv) << "accepted: " << ::testing::PrintToString(c.args);
    EXPECT_NE(inv.error().message.find(c.says), std::string::npos)
        << inv.error().message << " (expected it to mention " << c.says << ")";
  }
}

TEST(EndpointTest, Forms) {
  auto v6 = parse_endpoint("ws://[::1]:7878");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "7878");
  auto bare = parse_endpoint("localhost:7878");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->kind, Endpoint::Kind::tcp);
  auto path = parse_endpoint("ws://h:1/custom/ws");
  ASSERT_TRUE(path);
  EXPECT_EQ(path->path, "/custom/ws");
  EXPECT_FALSE(parse_endpoint("unix:"));
  EXPECT_FALSE(parse_endpoint("ws://:1"));
}

TEST(RenderTest, ControlCharactersCannotReachTheTerminal) {
  EXPECT_EQ(printable("a\x1b[2Jb\x07\n\tc\x7f"), "a\\x1b[2Jb\\x07\n\tc\\x7f");
  EXPECT_EQ(printable("line\nbreak", false), "line\\nbreak");
  EXPECT_EQ(printable("héllo ✓"), "héllo ✓");  // UTF-8 passes untouched
}

TEST(RenderTest, EventLines) {
  const auto event = nlohmann::json::parse(R"({"task_id":"t_1","seq":7,"type":"tool.call",
      "agent_id":"worker-2","at":"2026-01-02T03:04:05.678Z",
      "data":{"tool":"run_code","language":"python","arguments":{"code":"x"}}})");
  EXPECT_EQ(event_line(event), "03:04:05.678 #7 worker-2 tool.call  language=python tool=run_code");
  const auto finished = nlohmann::json::parse(R"({"task_id":"t_1","seq":9,"type":"task.finished",
      "at":"2026-01-02T03:04:06.000Z","data":{"state":"failed","result":{"error":"no plan\u001b]0;x"}}})");
  EXPECT_EQ(event_line(finished), "03:04:06.000 #9 task.finished  failed: no plan\\x1b]0;x");
  // Hostile shapes still render.
  EXPECT_FALSE(event_line(nlohmann::json::parse(R"({"seq":"x","data":[1,2]})")).empty());
  EXPECT_FALSE(event_line(nlohmann::json(5)).empty());
  const std::string long_value(1000, 'v');
  EXPECT_LT(event_line({{"type", "x"}, {"data", {{"k", long_value}}}}).size(), 300u);
}

TEST(RenderTest, TableAlignsColumns) {
  EXPECT_EQ(table({{"A", "BB"}, {"ccc", "d"}}), "A    BB\nccc  d\n");
}

TEST(RenderTest, RunFailureSaysWhyWithTheSandboxsErrorText) {
  using nlohmann::json;
  EXPECT_EQ(run_failure({{"status", "exit_nonzero"}, {"exit_code", 4}, {"error", ""}}),
            "the program exited with status 4");
  EXPECT_EQ(run_failure({{"status", "signaled"}, {"signal", 9}}),
            "the program was killed by signal 9");
  // A sandbox that never ran its program: the error text is the whole story (it was dropped).
  EXPECT_EQ(run_failure({{"status", "setup_error"},
                         {"exit_code", -1},
                         {"error", "forbid nested user namespaces: Permission denied (errno 13)"}}),
            "the sandbox ended with status setup_error: forbid nested user namespaces: "
            "Permission denied (errno 13)");
  EXPECT_EQ(run_failure({{"status", "timeout"}, {"error", "wall time\x1b[2J"}}),
            "the sandbox ended with status timeout: wall time\\x1b[2J");
}

}  // namespace
}  // namespace agentctl
