// Checking a host device node before it is passed into a sandbox: it must be a character
// device (not a symlink, not a regular file) with the numbers the driver registered.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/expected.h"
#include "sandbox/spec.h"

namespace gpu {

// `host_path` is checked with lstat. An unset `major`/`minor` accepts whatever the node has
// (for drivers that do not list themselves in /proc/devices).
base::Expected<sandbox::DeviceNode> check_char_device(const std::string& host_path,
                                                      std::optional<uint32_t> major,
                                                      std::optional<uint32_t> minor);

}  // namespace gpu
