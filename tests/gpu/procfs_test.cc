#include "gpu/procfs.h"

#include <gtest/gtest.h>

namespace gpu {
namespace {

TEST(DriverVersion, ProprietaryKernelModule) {
  EXPECT_EQ(parse_driver_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  "
                                 "Tue Mar  5 22:23:56 UTC 2024\nGCC version:  gcc 12\n"),
            "550.54.15");
}

TEST(DriverVersion, OpenKernelModule) {
  EXPECT_EQ(parse_driver_version("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  "
                                 "580.159.03  Release Build  (dvs-builder@U16)  Thu Sep 4 2025\n"),
            "580.159.03");
}

TEST(DriverVersion, TwoPartVersion) {
  EXPECT_EQ(parse_driver_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  418.40  Fri\n"),
            "418.40");
}

TEST(DriverVersion, RejectsTextWithoutAVersion) {
  EXPECT_FALSE(parse_driver_version(""));
  EXPECT_FALSE(parse_driver_version("GCC version: gcc version 12.2.0\n"));
  EXPECT_FALSE(parse_driver_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  x.y  Tue\n"));
  // A version-like token before "Kernel Module" is not the driver's.
  EXPECT_FALSE(parse_driver_version("NVRM version: 1.2.3 something else\n"));
}

constexpr const char* kInformation =
    "Model: \t\t NVIDIA H200\nIRQ:   \t\t 145\nGPU UUID: \t "
    "GPU-8f6a1c2e-1d2b-4c3a-9e8f-0123456789ab\n"
    "Bus Location: \t 0000:3b:00.0\nDevice Minor: \t 3\nGPU Excluded:\t No\n";

TEST(GpuInformation, ReadsModelUuidAndMinor) {
  auto gpu = parse_gpu_information(kInformation, "0000:3b:00.0");
  ASSERT_TRUE(gpu) << gpu.error().message;
  EXPECT_EQ(gpu->model, "NVIDIA H200");
  EXPECT_EQ(gpu->uuid, "GPU-8f6a1c2e-1d2b-4c3a-9e8f-0123456789ab");
  EXPECT_EQ(gpu->minor, 3u);
  EXPECT_EQ(gpu->bus_id, "0000:3b:00.0");
}

TEST(GpuInformation, UnknownUuidIsEmpty) {
  // What the driver prints before the GPU is initialised (spelled out: "??" starts trigraphs).
  std::string unknown = "GPU-" + std::string(8, '?') + "-" + std::string(4, '?') + "-" +
                        std::string(4, '?') + "-" + std::string(4, '?') + "-" +
                        std::string(12, '?');
  auto gpu = parse_gpu_information(
      "Model: \t\t NVIDIA H200\nGPU UUID: \t " + unknown + "\nDevice Minor: \t 0\n",
      "0000:86:00.0");
  ASSERT_TRUE(gpu) << gpu.error().message;
  EXPECT_EQ(gpu->uuid, "");
}

TEST(GpuInformation, MissingOrBadMinorFailsNamingTheFile) {
  auto missing = parse_gpu_information("Model: \t\t NVIDIA H200\n", "0000:01:00.0");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("gpus/0000:01:00.0/information"), std::string::npos);
  EXPECT_NE(missing.error().message.find("Device Minor"), std::string::npos);
  EXPECT_FALSE(parse_gpu_information("Device Minor: \t -1\n", "x"));
  EXPECT_FALSE(parse_gpu_information("Device Minor: \t 1a\n", "x"));
  EXPECT_FALSE(parse_gpu_information("Device Minor: \t 99999999999\n", "x"));
}

TEST(ProcDevices, FindsCharacterMajorsOnly) {
  constexpr const char* kDevices =
      "Character devices:\n  1 mem\n195 nvidia-frontend\n508 nvidia-uvm\n\n"
      "Block devices:\n 42 nvidia-uvm\n";
  EXPECT_EQ(parse_char_major(kDevices, "nvidia-frontend"), 195u);
  EXPECT_EQ(parse_char_major(kDevices, "nvidia-uvm"), 508u);
  EXPECT_EQ(parse_char_major(kDevices, "mem"), 1u);
  EXPECT_FALSE(parse_char_major(kDevices, "nvidia"));
  EXPECT_FALSE(parse_char_major("Block devices:\n195 nvidia\n", "nvidia"));
}

}  // namespace
}  // namespace gpu
