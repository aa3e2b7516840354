#include "gpu/device_node.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>

namespace gpu {

namespace {

std::string numbers(uint32_t major, uint32_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

}  // namespace

base::Expected<sandbox::DeviceNode> check_char_device(const std::string& host_path,
                                                      std::optional<uint32_t> major,
                                                      std::optional<uint32_t> minor) {
  struct stat info {};
  if (::lstat(host_path.c_str(), &info) != 0) {
    int error = errno;
    return base::Error{host_path + ": lstat failed: " + std::strerror(error) + " (errno " +
                       std::to_string(error) + ")"};
  }
  if (!S_ISCHR(info.st_mode)) {
    return base::Error{host_path +
                       ": not a character device (a symlink, file or directory "
                       "is never passed into a sandbox)"};
  }
  uint32_t node_major = ::major(info.st_rdev);
  uint32_t node_minor = ::minor(info.st_rdev);
  if ((major && *major != node_major) || (minor && *minor != node_minor)) {
    std::string want =
        (major ? std::to_string(*major) : "*") + ":" + (minor ? std::to_string(*minor) : "*");
    return base::Error{host_path + ": device numbers are " + numbers(node_major, node_minor) +
                       ", expected " + want + " as the NVIDIA driver registered them"};
  }
  return sandbox::DeviceNode{host_path, 'c', node_major, node_minor};
}

}  // namespace gpu
