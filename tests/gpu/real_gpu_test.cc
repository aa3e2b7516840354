// On a machine with an NVIDIA GPU, driver and the CUDA probe: the whole self-test (isolation
// and the probe inside a sandbox). Elsewhere it skips, saying what is missing.
// AGENTD_TEST_LD_CACHE names the linker cache listing the driver's libraries when
// /etc/ld.so.cache does not (scripts/gpu-check.sh builds one where the driver is only on
// LD_LIBRARY_PATH).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gpu/selftest.h"
#include "tests/fixtures/host_probe.h"
#include "tests/gpu/fake_tree.h"

namespace gpu {
namespace {

TEST(RealGpu, SelftestPasses) {
  DiscoveryOptions discovery;
  if (const char* ld_cache = std::getenv("AGENTD_TEST_LD_CACHE")) discovery.ld_cache = ld_cache;
  Inventory inventory = discover(discovery);
  if (inventory.gpus.empty()) {
    if (!agentd::host_probe::nvidia_gpu_present())
      GTEST_SKIP() << "no NVIDIA GPU here: " << describe(inventory);
    FAIL() << "the driver lists a GPU in /proc/driver/nvidia/gpus and /dev has its node, yet "
              "discovery found none: "
           << describe(inventory);
  }
  testing::FakeTree scratch("");
  PassthroughOptions options;
  options.staging_dir = scratch.path("staging");
  auto passthrough = Passthrough::prepare(std::move(inventory), options);
  ASSERT_TRUE(passthrough) << passthrough.error().message;
  std::string probe = AGENTD_GPU_PROBE;
  if (probe.empty() || !std::filesystem::exists(probe)) {
    GTEST_SKIP() << "agentd-gpu-probe was not built (no CUDA compiler when configuring)";
  }
  auto runner = sandbox::Runner::create();
  if (!runner) AGENTD_SKIP_UNLESS_HOST_CAN_SANDBOX(runner.error().message);
  SelftestOptions selftest{{AGENTD_GPU_TOOL}, probe, 0, 1, false};
  SelftestReport report = run_selftest(*passthrough, **runner, selftest);
  for (const auto& line : report.lines) std::cout << line << "\n";
  EXPECT_EQ(report.outcome, SelftestOutcome::passed) << report.figures.dump();
}

}  // namespace
}  // namespace gpu
