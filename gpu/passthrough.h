// GPU passthrough as plain data for a sandbox::Spec: the device nodes of the granted GPUs and
// the driver's control nodes, the driver libraries of the running version bound read-only at
// the paths the linker cache gives, a curated /proc/driver/nvidia, and the CUDA environment.
// The runner binds the nodes after checking their numbers and opens the device cgroup for
// exactly them, so a sandbox without a grant sees no NVIDIA device, and one granted GPU 1
// cannot open GPU 0.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/expected.h"
#include "gpu/inventory.h"
#include "sandbox/spec.h"

namespace gpu {

struct PassthroughOptions {
  // Host directory for the staged /proc/driver/nvidia files (see gpu/procfs_stage.h).
  std::string staging_dir = "/run/agentd/gpu";
  uint64_t procfs_tmpfs_bytes = 64 << 10;
};

struct GpuGrant {
  std::vector<uint32_t> gpus;  // inventory indices, ascending
  std::vector<sandbox::DeviceNode> devices;
  std::string ld_cache;  // the linker cache the sandbox must see at /etc/ld.so.cache
  std::vector<DriverLibrary> libraries;       // must be visible at their cache paths
  std::vector<sandbox::Mount> procfs_mounts;  // tmpfs over /proc/driver/nvidia, then its files
  std::vector<std::string> env;               // "KEY=VALUE"
};

class Passthrough {
 public:
  // Fails, saying what is missing, unless the inventory has a driver, a GPU, /dev/nvidiactl,
  // /dev/nvidia-uvm and a libcuda of the driver's version; stages the procfs files.
  static base::Expected<Passthrough> prepare(Inventory inventory,
                                             const PassthroughOptions& options = {});

  // What a sandbox needs to use the GPUs with these inventory indices, and no others.
  base::Expected<GpuGrant> grant(std::span<const uint32_t> gpu_indices) const;

  // For a sandbox granted no GPU on this machine: no device, and an empty tmpfs over
  // /proc/driver/nvidia (where the host has one), so it does not even learn the host's GPUs.
  GpuGrant none() const;

  const Inventory& inventory() const { return inventory_; }

 private:
  Passthrough() = default;
  Inventory inventory_;
  std::vector<sandbox::Mount> procfs_mounts_;  // the tmpfs and the staged files
};

// For a sandbox granted no GPU where no Passthrough could be prepared (no GPU this daemon can
// pass through): a loaded driver still shows /proc/driver/nvidia in every procfs, whatever its
// namespace, so an empty tmpfs covers it where `spec` mounts a fresh /proc and `host_proc` (the
// host's procfs; tests point it elsewhere) has the driver's directory. Call after the Spec's
// system mounts: the cover is mounted over the sandbox's /proc. No device node is ever added.
void hide_host_gpus(sandbox::Spec& spec, const std::string& host_proc = "/proc");

// Adds the grant to `spec` (whose system mounts must come first: the procfs view needs /proc).
// Libraries already visible through a bind of their host directory (e.g. /usr) are not bound
// again; the Spec's linker cache bind is pointed at the grant's cache; environment entries
// replace ones of the same name.
void add_to_spec(const GpuGrant& grant, sandbox::Spec& spec);

}  // namespace gpu
