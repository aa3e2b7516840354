// agentd's command line: --check-config, policy check, gpu list, usage errors.
#include "daemon/cli.h"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/daemon/child_daemon.h"
#include "tests/daemon/test_daemon.h"

namespace agentd {
namespace {

struct CliRun {
  int status;
  std::string out;
  std::string err;
};

CliRun cli(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  const int status = run_cli(args, out, err);
  return {status, out.str(), err.str()};
}

TEST(Cli, CheckConfigAcceptsAGoodFileAndNamesTheKeysOfABadOne) {
  testing::TempDir dir;
  const std::string file = testing::write_config(dir.path(), testing::test_config_json(dir.path()));
  CliRun good = cli({"--check-config", "--config", file});
  EXPECT_EQ(good.status, 0) << good.err;
  EXPECT_EQ(good.out, file + ": ok\n");
  nlohmann::json bad = testing::test_config_json(dir.path());
  bad["limits"]["requests_per_second"] = "fast";
  testing::write_config(dir.path(), bad);
  CliRun failed = cli({"--check-config", "--config", file});
  EXPECT_EQ(failed.status, 1);
  EXPECT_NE(failed.err.find("/limits/requests_per_second: expected a number"), std::string::npos)
      << failed.err;
}

TEST(Cli, CheckConfigChecksThePoliciesTenantsName) {
  testing::TempDir dir;
  nlohmann::json config = testing::test_config_json(dir.path());
  config["tenants"][1]["policies"] = {"nope"};
  const std::string file = testing::write_config(dir.path(), config);
  CliRun failed = cli({"--check-config", "--config", file});
  EXPECT_EQ(failed.status, 1);
  EXPECT_NE(failed.err.find("/tenants/1/policies/0: no policy named \"nope\""), std::string::npos)
      << failed.err;
}

TEST(Cli, PolicyCheckAndGpuList) {
  CliRun policy = cli({"policy", "check", "coder"});
  EXPECT_EQ(policy.status, 0) << policy.err;
  EXPECT_NE(policy.out.find("ok"), std::string::npos);
  CliRun missing = cli({"policy", "check", "/nonexistent/policy.json"});
  EXPECT_EQ(missing.status, 1);
  CliRun gpus = cli({"gpu", "list", "--json", "--root", "/nonexistent"});
  EXPECT_EQ(gpus.status, 0) << gpus.err;
  auto inventory = nlohmann::json::parse(gpus.out);
  EXPECT_EQ(inventory["gpus"], nlohmann::json::array());
}

// The GPU commands are gpu/agentd-gpu's (tests/gpu covers them on fake trees); agentd runs them.
TEST(Cli, GpuSelftestSaysWhyItCannotRunWithoutADriver) {
  CliRun selftest = cli({"gpu", "selftest", "--root", "/nonexistent", "--no-nvml"});
  EXPECT_EQ(selftest.status, 2) << selftest.out << selftest.err;
  EXPECT_NE(selftest.out.find("no NVIDIA driver"), std::string::npos) << selftest.out;
  EXPECT_NE(selftest.out.find("selftest: incomplete"), std::string::npos) << selftest.out;
  CliRun help = cli({"gpu", "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("agentd gpu selftest"), std::string::npos) << help.out;
  CliRun bad = cli({"gpu", "list", "--bogus"});
  EXPECT_EQ(bad.status, 64);
  EXPECT_NE(bad.err.find("agentd gpu: unknown flag --bogus"), std::string::npos) << bad.err;
}

TEST(Cli, UsageErrors) {
  EXPECT_EQ(cli({}).status, 64);
  EXPECT_EQ(cli({"--bogus"}).status, 64);
  EXPECT_EQ(cli({"--check-config"}).status, 64);
  EXPECT_EQ(cli({"gpu", "reset"}).status, 64);
  EXPECT_EQ(cli({"--version"}).status, 0);
  CliRun missing = cli({"--config", "/nonexistent/agentd.json"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("/nonexistent/agentd.json"), std::string::npos);
}

}  // namespace
}  // namespace agentd
