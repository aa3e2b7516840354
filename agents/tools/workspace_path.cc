#include "agents/tools/workspace_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace agents::tools {

int open_beneath(int dirfd, const std::string& path, uint64_t flags, uint64_t mode) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = mode;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = 0;
  do {
    fd = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
  } while (fd < 0 && errno == EINTR);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

std::string describe_errno(int error, std::string_view call) {
  switch (error) {
    case ELOOP:
      return "a path component is a symbolic link (symlinks are not followed)";
    case EXDEV:
      return "path escapes the workspace";
    case ENOENT:
      return "no such file or directory";
    case ENOTDIR:
      return "a path component is not a directory";
    case EISDIR:
      return "is a directory";
    case EEXIST:
      return "already exists";
    case EACCES:
    case EPERM:
      return "permission denied";
    case ENAMETOOLONG:
      return "a name is too long";
    case ENOSPC:
    case EDQUOT:
      return "no space left in the workspace";
    case ENOSYS:
      return std::string(call) + " is not available (openat2 needs Linux 5.6 or later)";
    default:
      return std::string(call) + " failed: " + std::strerror(error) + " (errno " +
             std::to_string(error) + ")";
  }
}

}  // namespace agents::tools
