#include "gpu/inventory.h"

#include <algorithm>
#include <filesystem>
#include <tuple>

#include "gpu/device_node.h"
#include "gpu/host_files.h"
#include "gpu/nvml.h"
#include "gpu/procfs.h"

namespace gpu {

namespace fs = std::filesystem;

namespace {

constexpr uint32_t kNvidiaMajor = 195;  // fixed by the driver (NV_MAJOR_DEVICE_NUMBER)
constexpr uint32_t kControlMinor = 255;

std::vector<ProcGpu> read_proc_gpus(const std::string& procfs, std::vector<std::string>& notes) {
  std::vector<ProcGpu> gpus;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(procfs + "/gpus", error)) {
    std::string bus_id = entry.path().filename().string();
    std::string information = entry.path().string() + "/information";
    auto text = read_file(information);
    if (!text) {
      notes.push_back(information + ": unreadable");
      continue;
    }
    auto gpu = parse_gpu_information(*text, bus_id);
    if (gpu) {
      gpus.push_back(std::move(gpu.value()));
    } else {
      notes.push_back(gpu.error().message);
    }
  }
  return gpus;
}

const NvmlDevice* find_minor(const std::vector<NvmlDevice>& devices, uint32_t minor) {
  auto found = std::find_if(devices.begin(), devices.end(),
                            [&](const NvmlDevice& d) { return d.minor == minor; });
  return found == devices.end() ? nullptr : &*found;
}

// One Gpu per GPU procfs (or, without procfs, NVML) lists whose device node checks out; NVML
// fills in what procfs does not say.
void add_gpus(const std::vector<ProcGpu>& proc_gpus, const std::vector<NvmlDevice>& nvml,
              uint32_t major, Inventory& inventory) {
  for (const auto& proc : proc_gpus) {
    std::string path = under_root(inventory.root, "/dev/nvidia" + std::to_string(proc.minor));
    auto node = check_char_device(path, major, proc.minor);
    if (!node) {
      inventory.notes.push_back("GPU " + (proc.bus_id.empty() ? proc.model : proc.bus_id) +
                                " left out: " + node.error().message);
      continue;
    }
    Gpu gpu;
    gpu.minor = proc.minor;
    gpu.bus_id = proc.bus_id;
    gpu.model = proc.model;
    gpu.uuid = proc.uuid;
    gpu.node = node.value();
    if (const NvmlDevice* device = find_minor(nvml, proc.minor)) {
      if (gpu.uuid.empty()) gpu.uuid = device->uuid;
      if (gpu.model.empty()) gpu.model = device->name;
      gpu.memory_total_bytes = device->memory_total_bytes;
      gpu.memory_used_bytes = device->memory_used_bytes;
      gpu.utilization_percent = device->utilization_percent;
    }
    inventory.gpus.push_back(std::move(gpu));
  }
  std::sort(inventory.gpus.begin(), inventory.gpus.end(), [](const Gpu& a, const Gpu& b) {
    return std::tie(a.bus_id, a.minor) < std::tie(b.bus_id, b.minor);
  });
  for (uint32_t i = 0; i < inventory.gpus.size(); ++i) inventory.gpus[i].index = i;
}

void check_control_nodes(std::optional<uint32_t> uvm_major, uint32_t nvidia_major,
                         Inventory& inventory) {
  struct Wanted {
    const char* name;
    std::optional<uint32_t> major;
    uint32_t minor;
  };
  for (const Wanted& want :
       {Wanted{"nvidiactl", nvidia_major, kControlMinor}, Wanted{"nvidia-uvm", uvm_major, 0},
        Wanted{"nvidia-uvm-tools", uvm_major, 1}}) {
    auto node = check_char_device(under_root(inventory.root, std::string("/dev/") + want.name),
                                  want.major, want.minor);
    if (node) {
      inventory.control_nodes.push_back(node.value());
    } else {
      inventory.notes.push_back(node.error().message);
    }
  }
}

void find_libraries(const DiscoveryOptions& options, Inventory& inventory) {
  auto cache = read_ld_cache(options.ld_cache);
  if (!cache) {
    inventory.notes.push_back(cache.error().message);
    return;
  }
  auto selection = select_driver_libraries(*cache, inventory.driver_version);
  inventory.libraries = std::move(selection.libraries);
  for (auto& skipped : selection.skipped) inventory.notes.push_back("skipped " + skipped);
}

}  // namespace

const sandbox::DeviceNode* Inventory::control_node(std::string_view name) const {
  std::string path = under_root(root, "/dev/" + std::string(name));
  for (const auto& node : control_nodes) {
    if (node.path == path) return &node;
  }
  return nullptr;
}

Inventory discover(const DiscoveryOptions& options) {
  Inventory inventory;
  inventory.root = options.root;
  inventory.ld_cache = options.ld_cache;
  std::string procfs = under_root(options.root, "/proc/driver/nvidia");
  inventory.driver_procfs = fs::is_directory(procfs);
  if (auto version = read_file(procfs + "/version")) {
    inventory.driver_version = parse_driver_version(*version).value_or("");
    if (inventory.driver_version.empty()) {
      inventory.notes.push_back(procfs +
                                "/version: no \"NVRM version: ... Kernel Module X.Y.Z\" "
                                "line in: " +
                                version->substr(0, version->find('\n')));
    }
  } else {
    inventory.notes.push_back(procfs + "/version: not found (NVIDIA kernel driver not loaded)");
  }
  auto proc_devices = read_file(under_root(options.root, "/proc/devices")).value_or("");
  uint32_t nvidia_major =
      parse_char_major(proc_devices, "nvidia-frontend")
          .value_or(parse_char_major(proc_devices, "nvidia").value_or(kNvidiaMajor));
  auto uvm_major = parse_char_major(proc_devices, "nvidia-uvm");

  auto proc_gpus = read_proc_gpus(procfs, inventory.notes);
  std::vector<NvmlDevice> nvml_devices;
  if (!options.nvml_library.empty()) {
    if (auto nvml = query_nvml(options.nvml_library)) {
      if (inventory.driver_version.empty()) inventory.driver_version = nvml->driver_version;
      nvml_devices = std::move(nvml->devices);
    } else {
      inventory.notes.push_back(nvml.error().message);
    }
  }
  if (proc_gpus.empty()) {  // no procfs (some virtualised drivers): NVML's list is all we have
    for (const auto& device : nvml_devices) {
      proc_gpus.push_back({"", device.name, device.uuid, device.minor});
    }
  }
  add_gpus(proc_gpus, nvml_devices, nvidia_major, inventory);
  if (inventory.driver_version.empty()) return inventory;
  check_control_nodes(uvm_major, nvidia_major, inventory);
  find_libraries(options, inventory);
  return inventory;
}

}  // namespace gpu
