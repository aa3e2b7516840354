// NVML, loaded with dlopen at run time (never linked: agentd must start on machines without
// the driver). Reads what /proc does not say: memory, utilisation, UUIDs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"

namespace gpu {

struct NvmlDevice {
  uint32_t minor = 0;  // N of /dev/nvidiaN
  std::string name;
  std::string uuid;
  std::optional<uint64_t> memory_total_bytes;
  std::optional<uint64_t> memory_used_bytes;
  std::optional<uint32_t> utilization_percent;  // GPU busy over the driver's last sample
};

struct NvmlSnapshot {
  std::string driver_version;
  std::vector<NvmlDevice> devices;
};

// Loads `library` (normally "libnvidia-ml.so.1"), reads every device, unloads it. Fails with
// a message that says whether the library is missing or the driver refused.
base::Expected<NvmlSnapshot> query_nvml(const std::string& library);

}  // namespace gpu
