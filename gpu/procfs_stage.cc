#include "gpu/procfs_stage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/unique_fd.h"
#include "gpu/host_files.h"

namespace gpu {

namespace {

base::Error os_error(const std::string& what, const std::string& path) {
  int error = errno;
  return base::Error{path + ": " + what + " failed: " + std::strerror(error) + " (errno " +
                     std::to_string(error) + ")"};
}

// The directory must not let anyone else swap the files sandboxes will see.
base::Status ensure_private_directory(const std::string& dir) {
  std::error_code ignored;  // a missing parent shows up as mkdir's ENOENT below
  std::filesystem::create_directories(std::filesystem::path(dir).parent_path(), ignored);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return os_error("mkdir", dir);
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0) return os_error("lstat", dir);
  if (!S_ISDIR(info.st_mode) || info.st_uid != ::geteuid() || (info.st_mode & 022) != 0) {
    return base::Error{dir + ": expected a directory owned by uid " + std::to_string(::geteuid()) +
                       " and writable by nobody else"};
  }
  return base::Ok{};
}

// Writes `content` to `path` through a temporary file and rename, so a sandbox starting at the
// same moment binds either the old file or the new one, never half of one.
base::Status write_atomically(const std::string& path, const std::string& content) {
  if (read_file(path) == content) return base::Ok{};
  std::string temporary = path + ".tmp." + std::to_string(::getpid());
  ::unlink(temporary.c_str());
  base::UniqueFd fd(
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444));
  if (!fd) return os_error("open", temporary);
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return os_error("write", temporary);
    written += static_cast<size_t>(n);
  }
  fd.reset();
  if (::rename(temporary.c_str(), path.c_str()) != 0) return os_error("rename", path);
  return base::Ok{};
}

}  // namespace

std::string disable_device_file_changes(std::string params) {
  constexpr std::string_view kEnabled = "ModifyDeviceFiles: 1";
  size_t at = params.find(kEnabled);
  if (at != std::string::npos) params[at + kEnabled.size() - 1] = '0';
  return params;
}

base::Expected<std::vector<StagedFile>> stage_procfs_files(const std::string& driver_procfs,
                                                           const std::string& staging_dir) {
  if (auto status = ensure_private_directory(staging_dir); !status) return status.error();
  std::vector<StagedFile> staged;
  for (const char* name : {"params", "version", "registry"}) {
    auto text = read_file(driver_procfs + "/" + name);
    if (!text) continue;
    if (std::string_view(name) == "params") *text = disable_device_file_changes(std::move(*text));
    std::string path = staging_dir + "/" + name;
    if (auto status = write_atomically(path, *text); !status) return status.error();
    staged.push_back({path, name});
  }
  return staged;
}

}  // namespace gpu
