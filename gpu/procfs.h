// Parsers for what the NVIDIA kernel driver publishes under /proc: the driver version, one
// `information` file per GPU, and the character-device majors in /proc/devices. Pure functions
// over file text, so tests feed them fixtures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace gpu {

// From /proc/driver/nvidia/version, e.g. "NVRM version: NVIDIA UNIX x86_64 Kernel Module
// 550.54.15  Tue Mar  5 ..." or "... Open Kernel Module for x86_64  580.95.05  Release Build
// ..." gives "550.54.15" / "580.95.05".
std::optional<std::string> parse_driver_version(std::string_view version_file);

struct ProcGpu {
  std::string bus_id;  // the directory name under gpus/, e.g. "0000:3b:00.0"
  std::string model;
  std::string uuid;    // empty when the driver does not know it yet ("GPU-????????-...")
  uint32_t minor = 0;  // N of /dev/nvidiaN
};

// From /proc/driver/nvidia/gpus/<bus_id>/information ("Model: \t\t NVIDIA H200", "Device
// Minor: \t 0", ...). Fails when the device minor is missing or not a number.
base::Expected<ProcGpu> parse_gpu_information(std::string_view text, std::string bus_id);

// The major number /proc/devices lists under "Character devices:" for `name`.
std::optional<uint32_t> parse_char_major(std::string_view proc_devices, std::string_view name);

}  // namespace gpu
