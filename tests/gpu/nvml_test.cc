#include "gpu/nvml.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace gpu {
namespace {

TEST(Nvml, ReadsDevicesThroughDlopen) {
  auto snapshot = query_nvml(FAKE_NVML_LIBRARY);
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(snapshot->driver_version, "999.12.34");
  ASSERT_EQ(snapshot->devices.size(), 2u);
  const auto& first = snapshot->devices[0];
  EXPECT_EQ(first.minor, 0u);
  EXPECT_EQ(first.name, "NVIDIA H200");
  EXPECT_EQ(first.uuid, "GPU-0a0a0a0a-0000-4000-8000-000000000000");
  EXPECT_EQ(first.memory_total_bytes, 150'000'000'000ull);
  EXPECT_EQ(first.memory_used_bytes, 1ull << 30);
  EXPECT_EQ(first.utilization_percent, 7u);
  // Utilisation NOT_SUPPORTED is left unknown, not zero.
  EXPECT_EQ(snapshot->devices[1].minor, 1u);
  EXPECT_FALSE(snapshot->devices[1].utilization_percent);
}

TEST(Nvml, DriverNotLoadedIsReported) {
  ::setenv("AGENTD_FAKE_NVML_INIT_ERROR", "1", 1);
  auto snapshot = query_nvml(FAKE_NVML_LIBRARY);
  ::unsetenv("AGENTD_FAKE_NVML_INIT_ERROR");
  ASSERT_FALSE(snapshot);
  EXPECT_NE(snapshot.error().message.find("nvmlInit failed: Driver Not Loaded"), std::string::npos)
      << snapshot.error().message;
}

TEST(Nvml, MissingLibraryMeansNoDriver) {
  auto snapshot = query_nvml("libagentd-no-such-nvml.so.1");
  ASSERT_FALSE(snapshot);
  EXPECT_NE(snapshot.error().message.find("no NVIDIA driver user-space libraries"),
            std::string::npos);
}

TEST(Nvml, LibraryWithoutNvmlFunctionsIsRefused) {
  auto snapshot = query_nvml("libm.so.6");
  ASSERT_FALSE(snapshot);
  EXPECT_NE(snapshot.error().message.find("lacks an expected function"), std::string::npos);
}

}  // namespace
}  // namespace gpu
