// `check`: "ok" plus the effective policy, or every error; exit status 0 or 1. Run both in
// process and through the agentd-policy executable.
#include "policies/check_command.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <utility>

#include "tests/fixtures/host_probe.h"
#include "tests/policies/test_support.h"

namespace policies::testing {
namespace {

struct CheckRun {
  int status = -1;
  std::string out;
  std::string err;
};

CheckRun check(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  int status = run_check_command(args, out, err);
  return CheckRun{status, out.str(), err.str()};
}

TEST(CheckCommand, PrintsOkAndTheEffectivePolicy) {
  CheckRun run = check({"coder"});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.err, "");
  ASSERT_EQ(run.out.rfind("coder: ok\n", 0), 0u) << run.out;
  nlohmann::json effective = nlohmann::json::parse(run.out.substr(run.out.find('{')));
  EXPECT_EQ(effective, to_json(builtin("coder")));
}

TEST(CheckCommand, PrintsEveryErrorOfEveryFileAndFails) {
  TempDir dir;
  std::filesystem::path bad =
      dir.write("bad.json", "{\n  \"limits\": {\"memory\": -5},\n  \"network\": 3\n}");
  std::filesystem::path good = dir.write("good.json", R"({"extends": "reviewer"})");
  CheckRun run = check({bad.string(), good.string()});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.err,
            bad.string() + ":2:24: /limits/memory: expected a size like \"512M\", got -5\n" +
                bad.string() + ":3:14: /network: expected one of \"none\" \"host\", got 3\n");
  EXPECT_EQ(run.out.rfind(good.string() + ": ok\n", 0), 0u) << run.out;
}

TEST(CheckCommand, AppliesCapsAndPrintsWhatTheyClamped) {
  TempDir dir;
  std::filesystem::path caps = dir.write("caps.json", R"({"limits": {"memory": "256M"}})");
  CheckRun run = check({"--caps", caps.string(), "gpu-coder"});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.out.find("gpu-coder: clamped /limits/memory from 4G to 256M\n"), std::string::npos)
      << run.out;
  nlohmann::json effective = nlohmann::json::parse(run.out.substr(run.out.find('{')));
  EXPECT_EQ(effective["limits"]["memory"], "256M");

  std::filesystem::path bad_caps = dir.write("bad-caps.json", R"({"gpus": "many"})");
  run = check({"--caps", bad_caps.string(), "coder"});
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.err.find("/gpus: expected an integer"), std::string::npos) << run.err;
}

TEST(CheckCommand, FindsNamesInPolicyDirectories) {
  TempDir dir;
  dir.write("mine.json", R"({"extends": "tester", "limits": {"pids": 9}})");
  CheckRun run = check({"--policy-dir", dir.path().string(), "mine"});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_NE(run.out.find("\"pids\": 9"), std::string::npos);
  run = check({"mine"});
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.err.find("unknown policy \"mine\""), std::string::npos) << run.err;
}

TEST(CheckCommand, WarnsAboutLanguagesThisHostCannotRun) {
  // Whichever of the two this host has, the warnings must name exactly the missing ones.
  TempDir dir;
  std::filesystem::path file =
      dir.write("js.json", R"({"tools": {"run_code": {"languages": ["python", "node"]}}})");
  CheckRun run = check({file.string()});
  EXPECT_EQ(run.status, 0) << run.err;
  for (const auto& [language, program] :
       {std::pair<std::string, std::string>{"python", "python3"}, {"node", "node"}}) {
    const std::string warning = file.string() + ": warning: run_code language " + language +
                                " needs " + program + ", which is not installed on this host\n";
    EXPECT_EQ(run.out.find(warning) != std::string::npos, !agentd::host_probe::installed(program))
        << run.out;
  }
}

TEST(CheckCommand, RejectsBadUsage) {
  EXPECT_EQ(check({}).status, 1);
  EXPECT_NE(check({}).err.find("usage: check"), std::string::npos);
  EXPECT_EQ(check({"--caps"}).status, 1);
  EXPECT_NE(check({"--colour", "coder"}).err.find("unknown option --colour"), std::string::npos);
}

// The executable, as an operator runs it.
int run_tool(const std::string& args, std::string& output) {
  std::string command = std::string(AGENTD_POLICY_TOOL) + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(CheckCommand, TheToolExitsZeroOrOne) {
  std::string output;
  EXPECT_EQ(run_tool("check coder reviewer", output), 0) << output;
  EXPECT_NE(output.find("reviewer: ok"), std::string::npos);
  TempDir dir;
  std::filesystem::path bad = dir.write("bad.json", R"({"tools": {"run_code": 1}})");
  output.clear();
  EXPECT_EQ(run_tool("check " + bad.string(), output), 1);
  EXPECT_NE(output.find("/tools/run_code: expected an object"), std::string::npos) << output;
  output.clear();
  EXPECT_EQ(run_tool("frobnicate", output), 1);
}

}  // namespace
}  // namespace policies::testing
