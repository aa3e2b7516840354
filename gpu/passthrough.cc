#include "gpu/passthrough.h"

#include <algorithm>
#include <filesystem>

#include "gpu/host_files.h"
#include "gpu/procfs_stage.h"

namespace gpu {

namespace {

constexpr const char* kProcDriver = "/proc/driver/nvidia";

// What a sandbox granted no GPU finds at /proc/driver/nvidia: an empty directory.
sandbox::Mount empty_driver_procfs() {
  return {sandbox::MountType::tmpfs, "", kProcDriver, 4096};
}

std::string joined_notes(const Inventory& inventory) {
  std::string text;
  for (const auto& note : inventory.notes) text += (text.empty() ? "" : "; ") + note;
  return text.empty() ? "" : " (" + text + ")";
}

base::Status check_usable(const Inventory& inventory) {
  if (inventory.driver_version.empty()) {
    return base::Error{"GPU passthrough: no NVIDIA driver on this machine" +
                       joined_notes(inventory)};
  }
  if (inventory.gpus.empty()) {
    return base::Error{"GPU passthrough: NVIDIA driver " + inventory.driver_version +
                       " is loaded but no usable GPU was found" + joined_notes(inventory)};
  }
  if (!inventory.control_node("nvidiactl")) {
    return base::Error{"GPU passthrough: /dev/nvidiactl is missing or wrong" +
                       joined_notes(inventory)};
  }
  if (!inventory.control_node("nvidia-uvm")) {
    return base::Error{
        "GPU passthrough: /dev/nvidia-uvm is missing or wrong; CUDA needs it "
        "(load the nvidia-uvm module, e.g. `nvidia-modprobe -u -c=0`)" +
        joined_notes(inventory)};
  }
  bool has_libcuda = std::any_of(inventory.libraries.begin(), inventory.libraries.end(),
                                 [](const DriverLibrary& l) { return l.soname == "libcuda.so.1"; });
  if (!has_libcuda) {
    return base::Error{"GPU passthrough: " + inventory.ld_cache +
                       " lists no libcuda.so.1 of "
                       "driver " +
                       inventory.driver_version +
                       " (install the driver's "
                       "user-space libraries of that version and run ldconfig)" +
                       joined_notes(inventory)};
  }
  return base::Ok{};
}

sandbox::Mount ro_bind(std::string source, std::string target) {
  return sandbox::Mount{sandbox::MountType::ro_bind, std::move(source), std::move(target), 0};
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ",") + item;
  return text;
}

// CUDA inside sees only the granted GPUs. UUIDs name them whatever the order; without UUIDs,
// the sandbox's own ordinals in PCI order do.
std::vector<std::string> cuda_environment(const std::vector<const Gpu*>& gpus) {
  bool all_uuids =
      std::all_of(gpus.begin(), gpus.end(), [](const Gpu* g) { return !g->uuid.empty(); });
  std::vector<std::string> cuda_ids;
  std::vector<std::string> host_ids;
  for (size_t i = 0; i < gpus.size(); ++i) {
    cuda_ids.push_back(all_uuids ? gpus[i]->uuid : std::to_string(i));
    host_ids.push_back(all_uuids ? gpus[i]->uuid : std::to_string(gpus[i]->index));
  }
  return {"CUDA_VISIBLE_DEVICES=" + join(cuda_ids), "NVIDIA_VISIBLE_DEVICES=" + join(host_ids),
          "CUDA_DEVICE_ORDER=PCI_BUS_ID"};
}

}  // namespace

base::Expected<Passthrough> Passthrough::prepare(Inventory inventory,
                                                 const PassthroughOptions& options) {
  if (auto usable = check_usable(inventory); !usable) return usable.error();
  Passthrough passthrough;
  auto& mounts = passthrough.procfs_mounts_;
  if (inventory.driver_procfs) {
    auto staged = stage_procfs_files(under_root(inventory.root, kProcDriver), options.staging_dir);
    if (!staged) return base::Error{"GPU passthrough: " + staged.error().message};
    mounts.push_back({sandbox::MountType::tmpfs, "", kProcDriver, options.procfs_tmpfs_bytes});
    for (const auto& file : *staged) {
      mounts.push_back(ro_bind(file.host_path, std::string(kProcDriver) + "/" + file.name));
    }
  }
  passthrough.inventory_ = std::move(inventory);
  return passthrough;
}

base::Expected<GpuGrant> Passthrough::grant(std::span<const uint32_t> gpu_indices) const {
  GpuGrant grant;
  grant.gpus.assign(gpu_indices.begin(), gpu_indices.end());
  std::sort(grant.gpus.begin(), grant.gpus.end());
  if (grant.gpus.empty()) return base::Error{"GPU grant: no GPU index given"};
  if (std::adjacent_find(grant.gpus.begin(), grant.gpus.end()) != grant.gpus.end()) {
    return base::Error{"GPU grant: a GPU index is listed twice"};
  }
  if (grant.gpus.back() >= inventory_.gpus.size()) {
    return base::Error{"GPU grant: GPU " + std::to_string(grant.gpus.back()) +
                       " does not exist (this machine has " +
                       std::to_string(inventory_.gpus.size()) + ")"};
  }
  grant.devices = inventory_.control_nodes;
  grant.ld_cache = inventory_.ld_cache;
  grant.libraries = inventory_.libraries;
  grant.procfs_mounts = procfs_mounts_;
  std::vector<const Gpu*> granted;
  for (uint32_t index : grant.gpus) {
    const Gpu& gpu = inventory_.gpus[index];
    granted.push_back(&gpu);
    grant.devices.push_back(gpu.node);
    if (inventory_.driver_procfs && !gpu.bus_id.empty()) {
      std::string path = std::string(kProcDriver) + "/gpus/" + gpu.bus_id;
      grant.procfs_mounts.push_back(ro_bind(under_root(inventory_.root, path), path));
    }
  }
  grant.env = cuda_environment(granted);
  return grant;
}

GpuGrant Passthrough::none() const {
  GpuGrant grant;
  if (inventory_.driver_procfs) {
    grant.procfs_mounts.push_back(empty_driver_procfs());
  }
  return grant;
}

void hide_host_gpus(sandbox::Spec& spec, const std::string& host_proc) {
  const bool mounts_proc = std::any_of(spec.mounts.begin(), spec.mounts.end(), [](const auto& m) {
    return m.type == sandbox::MountType::proc && m.target == "/proc";
  });
  std::error_code ignored;
  if (mounts_proc && std::filesystem::is_directory(host_proc + "/driver/nvidia", ignored))
    spec.mounts.push_back(empty_driver_procfs());
}

namespace {

// Whether the sandbox already sees host `path` unchanged: the Spec binds that path, or a host
// directory holding it, at its own path (binds are recursive).
bool visible_as_on_host(const sandbox::Spec& spec, const std::string& path) {
  return std::any_of(spec.mounts.begin(), spec.mounts.end(), [&](const sandbox::Mount& m) {
    bool bind = m.type == sandbox::MountType::ro_bind || m.type == sandbox::MountType::rw_bind;
    return bind && m.source == m.target && (path == m.target || path.starts_with(m.target + "/"));
  });
}

// The loader inside must read the cache whose paths the libraries were found through.
void use_ld_cache(const std::string& ld_cache, sandbox::Spec& spec) {
  constexpr const char* kTarget = "/etc/ld.so.cache";
  auto found = std::find_if(spec.mounts.begin(), spec.mounts.end(),
                            [&](const sandbox::Mount& m) { return m.target == kTarget; });
  if (found != spec.mounts.end()) {
    *found = ro_bind(ld_cache, kTarget);
  } else {
    spec.mounts.push_back(ro_bind(ld_cache, kTarget));
  }
}

}  // namespace

void add_to_spec(const GpuGrant& grant, sandbox::Spec& spec) {
  spec.devices.insert(spec.devices.end(), grant.devices.begin(), grant.devices.end());
  if (!grant.ld_cache.empty()) use_ld_cache(grant.ld_cache, spec);
  for (const auto& library : grant.libraries) {
    if (!visible_as_on_host(spec, library.path)) {
      spec.mounts.push_back(ro_bind(library.file, library.path));
    } else if (!visible_as_on_host(spec, library.file)) {
      // The cache path is a visible symlink to a file outside every bind: bind the file.
      spec.mounts.push_back(ro_bind(library.file, library.file));
    }
  }
  spec.mounts.insert(spec.mounts.end(), grant.procfs_mounts.begin(), grant.procfs_mounts.end());
  for (const auto& entry : grant.env) {
    size_t equals = entry.find('=');
    if (equals == std::string::npos) continue;
    std::string key = entry.substr(0, equals + 1);
    std::erase_if(spec.env, [&](const std::string& e) { return e.starts_with(key); });
    spec.env.push_back(entry);
  }
}

}  // namespace gpu
