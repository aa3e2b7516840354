// The curated /proc/driver/nvidia a sandbox sees: copies of the driver's params (with
// ModifyDeviceFiles set to 0, so nothing inside tries to create or chmod device nodes),
// version and registry files, staged once in a host directory and bound read-only over a tmpfs,
// as libnvidia-container does for containers.
#pragma once

#include <string>
#include <vector>

#include "base/expected.h"

namespace gpu {

struct StagedFile {
  std::string host_path;  // the staged copy
  std::string name;       // "params", "version", "registry"
};

// Copies the files found in `driver_procfs` (e.g. "/proc/driver/nvidia") into `staging_dir`,
// which is created 0755 if missing and must otherwise be a directory owned by this user and
// writable by nobody else. Rewrites a copy only when its content changed. Files the driver
// does not publish are left out.
base::Expected<std::vector<StagedFile>> stage_procfs_files(const std::string& driver_procfs,
                                                           const std::string& staging_dir);

// The params text with "ModifyDeviceFiles: 1" turned to 0.
std::string disable_device_file_changes(std::string params);

}  // namespace gpu
