#include "sandbox/user.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "sandbox/base.h"

namespace sandbox::user {
namespace {

Status make_dirs(const std::string& path) {
  for (size_t slash = 1; slash != std::string::npos; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST)
      return Error{"mkdir " + prefix + ": " + errno_text(errno)};
  }
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    return Error{"mkdir " + path + ": " + errno_text(errno)};
  return Ok{};
}

Status write_file(const std::string& path, const std::string& content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return Error{"open " + path + ": " + errno_text(errno)};
  if (::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
    return Error{"write \"" + content.substr(0, content.size() - 1) + "\" to " + path + ": " +
                 errno_text(errno)};
  return Ok{};
}

}  // namespace

Status check_host_searchable(const std::string& root) {
  const std::string tmp = root == "/" ? "/tmp" : root + "/tmp";
  for (const std::string& dir : {root, tmp}) {
    struct stat info {};
    if (::stat(dir.c_str(), &info) != 0) {
      Error error = base::sys_error("stat " + dir, errno);
      error.message += " (sandboxes need it as a directory to set up their root)";
      return error;
    }
    if (!S_ISDIR(info.st_mode)) return Error{dir + " is not a directory; sandboxes need one"};
    if ((info.st_mode & S_IXOTH) == 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
      return Error{"the host's " + dir + " has mode " + mode +
                   ": sandboxes run as unprivileged host ids, which must be able to search it "
                   "(chmod o+x " +
                   dir + ", e.g. mode 0755)"};
    }
  }
  return Ok{};
}

Expected<IdLease> IdLease::acquire(const std::string& lock_dir, uint32_t first, uint32_t count) {
  if (first == 0 || count == 0 || first + uint64_t{count} > 0xFFFFFFFFull)
    return Error{"host id range " + std::to_string(first) + "+" + std::to_string(count) +
                 " is invalid (expected a non-empty range above 0 below 2^32-1)"};
  if (auto made = make_dirs(lock_dir); !made) return made.error();
  // Start where the last lease of this process left off, so back-to-back runs rarely probe a
  // busy id and a freed id is not reused at once.
  static std::atomic<uint32_t> cursor{0};
  const uint32_t start = cursor.fetch_add(1, std::memory_order_relaxed);
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t id = first + (start + i) % count;
    const std::string path = lock_dir + "/" + std::to_string(id);
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return Error{"open id lock " + path + ": " + errno_text(errno)};
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
      cursor.store(start + i + 1, std::memory_order_relaxed);
      return IdLease(std::move(fd), id);
    }
    if (errno != EWOULDBLOCK) return Error{"flock " + path + ": " + errno_text(errno)};
  }
  return Error{"all " + std::to_string(count) + " host ids from " + std::to_string(first) +
               " are in use (too many concurrent sandboxes for the configured range)"};
}

Status parent_write_id_maps(pid_t child, uint32_t host_id) {
  const std::string proc = "/proc/" + std::to_string(child);
  const std::string map = std::to_string(kSandboxId) + " " + std::to_string(host_id) + " 1\n";
  if (auto s = write_file(proc + "/uid_map", map); !s) return s;
  return write_file(proc + "/gid_map", map);
}

int child_become_sandbox_user() noexcept {
  // Raw syscalls: glibc's wrappers broadcast id changes to every thread it knows of, and after
  // a raw clone3 its thread list still names the parent's threads, so they could hang.
  if (::syscall(SYS_setgroups, 0, nullptr) != 0) return -errno;
  if (::syscall(SYS_setresgid, kSandboxId, kSandboxId, kSandboxId) != 0) return -errno;
  if (::syscall(SYS_setresuid, kSandboxId, kSandboxId, kSandboxId) != 0) return -errno;
  return 0;
}

}  // namespace sandbox::user
