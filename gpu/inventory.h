// GPU discovery: what the NVIDIA driver shows under /proc/driver/nvidia and /dev, what NVML
// adds, and which driver libraries match it. Never fails: a machine without a GPU or driver
// gets an empty inventory whose notes say what is missing.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gpu/driver_libraries.h"
#include "sandbox/spec.h"

namespace gpu {

struct DiscoveryOptions {
  std::string root = "/";  // where to find proc/driver/nvidia, proc/devices and dev/nvidia*
  std::string ld_cache = "/etc/ld.so.cache";       // the linker cache, a host path (not under root)
  std::string nvml_library = "libnvidia-ml.so.1";  // empty: do not load NVML
};

struct Gpu {
  uint32_t index = 0;  // position in PCI bus order, as nvidia-smi numbers GPUs
  uint32_t minor = 0;  // N of /dev/nvidiaN
  std::string bus_id;  // empty when only NVML saw the GPU
  std::string model;
  std::string uuid;          // empty when unknown
  sandbox::DeviceNode node;  // /dev/nvidiaN, its device numbers checked
  std::optional<uint64_t> memory_total_bytes;
  std::optional<uint64_t> memory_used_bytes;
  std::optional<uint32_t> utilization_percent;
};

struct Inventory {
  std::string root;
  std::string driver_version;                      // empty: no driver found
  bool driver_procfs = false;                      // <root>/proc/driver/nvidia exists
  std::vector<Gpu> gpus;                           // only GPUs whose device node checked out
  std::vector<sandbox::DeviceNode> control_nodes;  // nvidiactl, nvidia-uvm(-tools) present
  std::string ld_cache;
  std::vector<DriverLibrary> libraries;
  std::vector<std::string> notes;  // what is missing or was skipped, and why

  const sandbox::DeviceNode* control_node(std::string_view name) const;  // "nvidiactl", ...
};

Inventory discover(const DiscoveryOptions& options = {});

// Human-readable, several lines; says plainly when there is no driver or no GPU.
std::string describe(const Inventory& inventory);
nlohmann::json to_json(const Inventory& inventory);

}  // namespace gpu
