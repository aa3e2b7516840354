#include "agents/tools/workspace_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace agents::tools {

sandbox::Expected<std::vector<std::string>> split_workspace_path(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) return sandbox::Error{"path contains a NUL byte"};
  if (path.size() >= PATH_MAX) return sandbox::Error{"path is too long"};
  if (path.starts_with('/')) {
    return sandbox::Error{"absolute paths are not allowed; paths are relative to the workspace"};
  }
  std::vector<std::string> components;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view component = path.substr(start, end - start);
    if (component == "..") {
      if (components.empty()) return sandbox::Error{"path escapes the workspace"};
      components.pop_back();
    } else if (!component.empty() && component != ".") {
      components.emplace_back(component);
    }
    start = end + 1;
  }
  return components;
}

std::string join_path(const std::vector<std::string>& components, size_t count) {
  std::string joined;
  for (size_t i = 0; i < count && i < components.size(); ++i) {
    if (i > 0) joined += '/';
    joined += components[i];
  }
  return joined.empty() ? "." : joined;
}

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
