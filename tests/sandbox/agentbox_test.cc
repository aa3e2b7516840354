#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "sandbox/agentbox/cli.h"
#include "tests/fixtures/host_probe.h"

namespace sandbox::agentbox {
namespace {

Expected<Command> parse(const std::vector<std::string>& args) {
  return parse_command_line(args);
}

std::string error_of(const std::vector<std::string>& args) {
  auto c = parse(args);
  return c.ok() ? std::string("(no error)") : c.error().message;
}

TEST(AgentboxCli, DefaultsAreSafe) {
  auto c = parse({"run", "--", "python3", "-c", "pass"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  const Spec& s = c->spec;
  EXPECT_EQ(s.argv, (std::vector<std::string>{"python3", "-c", "pass"}));
  EXPECT_EQ(s.network, NetworkMode::none);
  EXPECT_FALSE(s.seccomp.disabled);
  EXPECT_EQ(s.seccomp.filter, nullptr);  // the built-in default profile
  EXPECT_EQ(s.limits.memory_bytes, 512ull << 20);
  EXPECT_EQ(s.limits.pids, 64u);
  EXPECT_EQ(s.limits.wall_time, std::chrono::seconds(10));
  EXPECT_EQ(s.workdir, "/workspace");
}

TEST(AgentboxCli, AppliesEveryOption) {
  auto c = parse({"run",         "--memory",   "64M",
                  "--pids=8",    "--cpu-time", "1.5",
                  "--wall-time", "500ms",      "--output-limit",
                  "4K",          "--ro-bind",  "/usr/share:/share",
                  "--bind",      "/tmp",       "--tmpfs",
                  "/scratch:1M", "--workdir",  "/scratch",
                  "--env",       "A=1",        "--env",
                  "PATH=/x",     "--seccomp",  "none",
                  "--net",       "host",       "--",
                  "true"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  const Spec& s = c->spec;
  EXPECT_EQ(s.limits.memory_bytes, 64ull << 20);
  EXPECT_EQ(s.limits.pids, 8u);
  EXPECT_EQ(s.limits.cpu_time, std::chrono::milliseconds(1500));
  EXPECT_EQ(s.limits.wall_time, std::chrono::milliseconds(500));
  EXPECT_EQ(s.limits.stdout_bytes, 4096u);
  EXPECT_EQ(s.limits.stderr_bytes, 4096u);
  EXPECT_TRUE(s.seccomp.disabled);
  EXPECT_EQ(s.network, NetworkMode::host);
  EXPECT_EQ(s.workdir, "/scratch");
  const Mount& last = s.mounts.back();
  EXPECT_EQ(last.target, "/scratch");
  EXPECT_EQ(last.size_bytes, 1u << 20);
  EXPECT_NE(std::find(s.env.begin(), s.env.end(), "PATH=/x"), s.env.end());
  EXPECT_EQ(std::count_if(s.env.begin(), s.env.end(),
                          [](const std::string& e) { return e.rfind("PATH=", 0) == 0; }),
            1);
}

TEST(AgentboxCli, BadFlagsNameTheFlagAndWhatWasExpected) {
  EXPECT_EQ(error_of({"run", "--memory", "12XB", "--", "true"}),
            "--memory: invalid size \"12XB\": unknown unit \"xb\" (expected a size like 4096, 64K, "
            "512M or 1G)");
  EXPECT_EQ(error_of({"run", "--pids", "0", "--", "true"}),
            "--pids: expected a positive whole number, got \"0\"");
  EXPECT_EQ(error_of({"run", "--net", "bridge", "--", "true"}),
            "--net: expected none or host, got \"bridge\"");
  EXPECT_EQ(error_of({"run", "--bind", "/no/such:/x", "--", "true"}),
            "--bind: source \"/no/such\" does not exist (expected SRC[:DST])");
  EXPECT_EQ(error_of({"run", "--tmpfs", "rel", "--", "true"}),
            "--tmpfs: destination \"rel\" is not an absolute path (expected DST[:SIZE])");
  EXPECT_EQ(error_of({"run", "--stdin", "/no/such/file", "--", "true"}),
            "--stdin: cannot read \"/no/such/file\"");
  EXPECT_EQ(error_of({"run", "--memory", "1M", "--memory", "2M", "--", "true"}),
            "--memory: given more than once");
  EXPECT_EQ(error_of({"run", "--tmpfs", "/a", "--tmpfs", "/a", "--", "true"}),
            "mount destination \"/a\" is given twice");
  EXPECT_EQ(error_of({"run", "--frobnicate", "1", "--", "true"}),
            "--frobnicate: unknown option (see agentbox --help)");
  EXPECT_EQ(error_of({"run", "--wall-time", "--", "true"}), "--wall-time: expects a value");
  EXPECT_EQ(error_of({"run", "--"}),
            "missing command after -- (expected: agentbox run [options] -- CMD [ARGS...])");
  EXPECT_NE(error_of({"run", "--seccomp", "/no/such.json", "--", "true"}).find("--seccomp: "),
            std::string::npos);
  EXPECT_EQ(error_of({"walk"}),
            "unknown command \"walk\" (expected: agentbox run [options] -- CMD)");
}

TEST(AgentboxCli, HelpDocumentsEveryOption) {
  const std::string text = usage();
  for (const char* flag :
       {"--memory", "--pids", "--cpu-time", "--wall-time", "--output-limit", "--ro-bind", "--bind",
        "--tmpfs", "--workdir", "--env", "--stdin", "--seccomp", "--net", "--help"})
    EXPECT_NE(text.find(flag), std::string::npos) << flag;
}

struct Outcome {
  int exit_status;
  std::string out;
};

Outcome run_agentbox(const std::string& args) {
  const std::string command = std::string(AGENTBOX_PATH) + " " + args + " 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buffer;
  while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(AgentboxBinary, ExitStatusSaysWhetherTheSandboxRan) {
  if (const std::string missing = agentd::host_probe::sandbox_prerequisites_missing();
      !missing.empty())
    GTEST_SKIP() << "sandboxes need " << missing;
  Outcome ok = run_agentbox("run -- /bin/sh -c 'exit 3'");
  EXPECT_EQ(ok.exit_status, 0);  // the sandbox ran; the program's status is in the JSON
  auto json = nlohmann::json::parse(ok.out);
  EXPECT_EQ(json["status"], "exit_nonzero");
  EXPECT_EQ(json["exit_code"], 3);
  Outcome setup = run_agentbox("run -- /no/such/program");
  EXPECT_EQ(setup.exit_status, 1);
  EXPECT_EQ(nlohmann::json::parse(setup.out)["status"], "setup_error");
  EXPECT_EQ(run_agentbox("run --memory 12XB -- true").exit_status, 2);
  EXPECT_EQ(run_agentbox("--help").exit_status, 0);
}

}  // namespace
}  // namespace sandbox::agentbox
