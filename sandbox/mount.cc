#include "sandbox/mount.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <set>

#include "sandbox/base.h"
#include "sandbox/user.h"

namespace sandbox::mount {
namespace {

constexpr uint64_t kReadOnly = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
constexpr uint64_t kWritable = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
constexpr uint64_t kDeviceNode = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
constexpr uint64_t kDefaultTmpfsBytes = 64ull << 20;
constexpr size_t kLinkBufferSize = 64;  // "/oldroot/proc/self/fd/" and an int, with room to spare

// The minimal /dev every sandbox gets; GPU nodes and the like come through Spec::devices.
constexpr const char* kBasicDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};
// Parts of /proc that describe or control the host rather than the sandbox's pid namespace.
constexpr const char* kProcReadOnly[] = {"sys", "sysrq-trigger", "irq", "bus", "fs"};
constexpr const char* kProcMaskedFiles[] = {
    "kcore", "keys", "timer_list", "sched_debug", "latency_stats", "kallsyms", "kmsg"};
// (/proc/driver stays: the GPU module mounts /proc/driver/nvidia into it.)
constexpr const char* kProcMaskedDirs[] = {"acpi", "asound", "scsi"};

// "/a//b/" -> "/a/b"; refuses relative paths, "." and ".." components and "/" itself.
Expected<std::string> normalize_target(const std::string& path) {
  if (path.empty() || path[0] != '/')
    return Error{"mount target \"" + path + "\" is not an absolute path"};
  std::string out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string part = path.substr(start, end - start);
    if (part == "." || part == "..")
      return Error{"mount target \"" + path + "\" has a \".\" or \"..\" component"};
    if (!part.empty()) out += "/" + part;
    start = end + 1;
  }
  if (out.empty()) return Error{"mount target \"" + path + "\" is the root itself"};
  return out;
}

class Builder {
 public:
  Plan take() { return std::move(plan_); }

  void add(OpKind kind, const std::string& source, const std::string& target, uint64_t attr,
           std::string description) {
    plan_.ops.push_back({kind, source.empty() ? nullptr : keep(source),
                         keep(std::string(kNewRoot) + target), attr});
    plan_.descriptions.push_back(std::move(description));
  }

  // Like add, with a source the child fills in (a bind source's link buffer).
  void add_with_source(OpKind kind, const char* source, const std::string& target, uint64_t attr,
                       std::string description) {
    plan_.ops.push_back({kind, source, keep(std::string(kNewRoot) + target), attr});
    plan_.descriptions.push_back(std::move(description));
  }

  // Creates every missing directory of `path` (a sandbox path) inside the new root.
  void make_dirs(const std::string& path) {
    for (size_t slash = path.find('/', 1); slash != std::string::npos;
         slash = path.find('/', slash + 1))
      make_dir(path.substr(0, slash));
    make_dir(path);
  }

  // Registers a host path for binding; returns the buffer the child will fill with the path
  // it binds from (see Plan::bind_sources).
  const char* bind_source(const std::string& host_path) {
    const char* path = keep(host_path);
    char* link = plan_.strings.emplace_back(kLinkBufferSize, '\0').data();
    plan_.bind_sources.push_back({path, link});
    return link;
  }

  void make_parent_dirs(const std::string& path) {
    const size_t slash = path.rfind('/');
    if (slash > 0) make_dirs(path.substr(0, slash));
  }

 private:
  void make_dir(const std::string& dir) {
    if (made_dirs_.insert(dir).second) add(OpKind::mkdir, "", dir, 0, "mkdir " + dir);
  }
  const char* keep(std::string s) { return plan_.strings.emplace_back(std::move(s)).c_str(); }

  Plan plan_;
  std::set<std::string> made_dirs_;
};

std::string tmpfs_options(uint64_t bytes, const char* mode) {
  return "size=" + std::to_string(bytes ? bytes : kDefaultTmpfsBytes) + ",mode=" + mode;
}

bool host_path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

Status add_bind(Builder& b, const Mount& m, const std::string& target) {
  struct stat st {};
  if (::lstat(m.source.c_str(), &st) != 0)
    return Error{"bind source \"" + m.source + "\": " + errno_text(errno)};
  // A host symlink bound at its own path (/bin -> usr/bin) is recreated as a symlink.
  if (S_ISLNK(st.st_mode) && m.source == target) {
    char link[PATH_MAX];
    const ssize_t n = ::readlink(m.source.c_str(), link, sizeof link - 1);
    if (n < 0) return Error{"readlink \"" + m.source + "\": " + errno_text(errno)};
    b.make_parent_dirs(target);
    b.add(OpKind::symlink, std::string(link, n), target, 0, "symlink " + target);
    return Ok{};
  }
  char resolved[PATH_MAX];
  if (!::realpath(m.source.c_str(), resolved) || ::stat(resolved, &st) != 0)
    return Error{"bind source \"" + m.source + "\": " + errno_text(errno)};
  if (S_ISDIR(st.st_mode)) {
    b.make_dirs(target);
  } else {
    b.make_parent_dirs(target);
    b.add(OpKind::mkfile, "", target, 0, "create mount point " + target);
  }
  const bool writable = m.type == MountType::rw_bind;
  b.add_with_source(
      OpKind::bind, b.bind_source(resolved), target, writable ? kWritable : kReadOnly,
      std::string(writable ? "bind " : "read-only bind ") + m.source + " -> " + target);
  return Ok{};
}

void add_device_bind(Builder& b, const std::string& host_path) {
  b.make_parent_dirs(host_path);
  b.add(OpKind::mkfile, "", host_path, 0, "create device node mount point " + host_path);
  b.add(OpKind::bind, std::string(kOldRoot) + host_path, host_path, kDeviceNode,
        "bind device " + host_path);
}

void add_dev(Builder& b, const Mount& m, const std::string& target) {
  b.make_dirs(target);
  b.add(OpKind::tmpfs, tmpfs_options(1 << 20, "0755"), target, 0, "tmpfs " + target);
  for (const char* name : kBasicDevices) {
    const std::string path = target + "/" + name;
    b.add(OpKind::mkfile, "", path, 0, "create device node mount point " + path);
    b.add(OpKind::bind, std::string(kOldRoot) + "/dev/" + name, path, kDeviceNode,
          "bind device /dev/" + std::string(name));
  }
  b.add(OpKind::symlink, "/proc/self/fd", target + "/fd", 0, "symlink " + target + "/fd");
  const char* stdio[] = {"stdin", "stdout", "stderr"};
  for (int fd = 0; fd < 3; ++fd)
    b.add(OpKind::symlink, "/proc/self/fd/" + std::to_string(fd), target + "/" + stdio[fd], 0,
          "symlink " + target + "/" + stdio[fd]);
  b.make_dirs(target + "/shm");
  b.add(OpKind::tmpfs, tmpfs_options(m.size_bytes, "1777"), target + "/shm", 0,
        "tmpfs " + target + "/shm");
}

void add_proc(Builder& b, const std::string& target) {
  b.make_dirs(target);
  b.add(OpKind::proc, "", target, 0, "mount proc at " + target);
  for (const char* name : kProcReadOnly) {
    if (!host_path_exists(std::string("/proc/") + name)) continue;
    const std::string path = target + "/" + name;
    b.add(OpKind::bind, std::string(kNewRoot) + path, path, kReadOnly | MOUNT_ATTR_NOEXEC,
          "read-only " + path);
  }
  for (const char* name : kProcMaskedFiles) {
    if (!host_path_exists(std::string("/proc/") + name)) continue;
    const std::string path = target + "/" + name;
    b.add(OpKind::bind, std::string(kOldRoot) + "/dev/null", path, kReadOnly, "mask " + path);
  }
  for (const char* name : kProcMaskedDirs) {
    if (!host_path_exists(std::string("/proc/") + name)) continue;
    const std::string path = target + "/" + name;
    b.add(OpKind::tmpfs, tmpfs_options(4096, "0555"), path, 0, "mask " + path);
    b.add(OpKind::set_attr, "", path, MOUNT_ATTR_RDONLY, "read-only " + path);
  }
}

// The sandbox's own identity files: only its user exists inside.
void add_etc_files(Builder& b, const Spec& spec) {
  const std::string id = std::to_string(user::kSandboxId);
  b.make_dirs("/etc");
  const std::pair<const char*, std::string> files[] = {
      {"/etc/passwd", "sandbox:x:" + id + ":" + id + ":sandbox:/workspace:/bin/sh\n"},
      {"/etc/group", "sandbox:x:" + id + ":\n"},
      {"/etc/hosts", "127.0.0.1 localhost " + spec.hostname + "\n::1 localhost\n"},
      {"/etc/hostname", spec.hostname + "\n"},
  };
  for (const auto& [path, content] : files)
    b.add(OpKind::write_file, content, path, 0, std::string("write ") + path);
}

Status check_device(const DeviceNode& device) {
  struct stat st {};
  if (::stat(device.path.c_str(), &st) != 0)
    return Error{"device \"" + device.path + "\": " + errno_text(errno)};
  const bool type_ok = device.type == 'c'   ? S_ISCHR(st.st_mode)
                       : device.type == 'b' ? S_ISBLK(st.st_mode)
                                            : false;
  if (!type_ok || ::major(st.st_rdev) != device.major || ::minor(st.st_rdev) != device.minor)
    return Error{"device \"" + device.path + "\": expected " + std::string(1, device.type) + " " +
                 std::to_string(device.major) + ":" + std::to_string(device.minor) +
                 ", the host node is " +
                 (S_ISCHR(st.st_mode)   ? "c "
                  : S_ISBLK(st.st_mode) ? "b "
                                        : "not a device ") +
                 std::to_string(::major(st.st_rdev)) + ":" + std::to_string(::minor(st.st_rdev))};
  return Ok{};
}

}  // namespace

Expected<Plan> parent_build_plan(const Spec& spec) {
  Builder b;
  add_etc_files(b, spec);
  b.make_dirs("/sys");  // masked: an empty, read-only tmpfs instead of the host's sysfs
  b.add(OpKind::tmpfs, tmpfs_options(4096, "0555"), "/sys", 0, "mask /sys");
  b.add(OpKind::set_attr, "", "/sys", MOUNT_ATTR_RDONLY, "read-only /sys");
  for (const Mount& m : spec.mounts) {
    auto target = normalize_target(m.target);
    if (!target) return target.error();
    switch (m.type) {
      case MountType::ro_bind:
      case MountType::rw_bind:
        if (auto s = add_bind(b, m, *target); !s) return s.error();
        break;
      case MountType::tmpfs:
        b.make_dirs(*target);
        b.add(OpKind::tmpfs, tmpfs_options(m.size_bytes, *target == "/tmp" ? "1777" : "0755"),
              *target, 0, "tmpfs " + *target);
        break;
      case MountType::proc:
        add_proc(b, *target);
        break;
      case MountType::dev:
        add_dev(b, m, *target);
        break;
    }
  }
  for (const DeviceNode& device : spec.devices) {
    if (auto s = check_device(device); !s) return s.error();
    add_device_bind(b, device.path);
  }
  return b.take();
}

namespace {

int set_attr(const char* path, uint64_t attr, unsigned flags) noexcept {
  struct mount_attr request {};
  request.attr_set = attr;
  return ::mount_setattr(AT_FDCWD, path, flags, &request, sizeof request) == 0 ? 0 : -errno;
}

int write_all(const char* path, const char* content) noexcept {
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0444);
  if (fd < 0) return -errno;
  const size_t length = std::strlen(content);
  const bool ok = ::write(fd, content, length) == static_cast<ssize_t>(length);
  const int err = errno;
  ::close(fd);
  return ok ? 0 : -err;
}

int run_op(const Op& op) noexcept {
  switch (op.kind) {
    case OpKind::mkdir:
      return ::mkdir(op.target, 0755) == 0 || errno == EEXIST ? 0 : -errno;
    case OpKind::mkfile: {
      // An existing file (say, inside a read-only bind) is a fine mount point; a symlink is not:
      // the bind would land wherever it points.
      struct stat st {};
      if (::lstat(op.target, &st) == 0) return S_ISLNK(st.st_mode) ? -ELOOP : 0;
      const int fd = ::open(op.target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
      if (fd < 0) return -errno;
      ::close(fd);
      return 0;
    }
    case OpKind::symlink:
      return ::symlink(op.source, op.target) == 0 ? 0 : -errno;
    case OpKind::write_file:
      return write_all(op.target, op.source);
    case OpKind::bind:
      if (::mount(op.source, op.target, nullptr, MS_BIND | MS_REC, nullptr) != 0) return -errno;
      return set_attr(op.target, op.attr, AT_RECURSIVE);
    case OpKind::tmpfs:
      return ::mount("tmpfs", op.target, "tmpfs", MS_NOSUID | MS_NODEV, op.source) == 0 ? 0
                                                                                        : -errno;
    case OpKind::proc:
      return ::mount("proc", op.target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0
                 ? 0
                 : -errno;
    case OpKind::set_attr:
      return set_attr(op.target, op.attr, 0);
  }
  return -EINVAL;
}

enum RootStep : int {
  kMakePrivate,
  kMountBase,
  kPrepareBase,
  kPivotToBase,
  kPrepareNewRoot,
  kMountNewRoot,
  kMountOp,
  kReadOnlyRoot,
  kDetachOldRoot,
  kEnterNewRoot,
  kPivotToNewRoot,
  kDetachBase,
  kChdirRoot
};
// Indexed by RootStep.
constexpr const char* kRootSteps[] = {
    "make mounts private",
    "mount base tmpfs",
    "prepare base",
    "pivot_root to base",
    "prepare new root",
    "mount new root tmpfs",
    "mount",
    "make root read-only",
    "detach old root",
    "enter new root",
    "pivot_root to new root",
    "detach base",
    "chdir /",
};

int pivot_root(const char* new_root, const char* put_old) noexcept {
  return ::syscall(SYS_pivot_root, new_root, put_old) == 0 ? 0 : -errno;
}

}  // namespace

int child_build_root(const Plan& plan, int* failed_step, int* failed_op) noexcept {
  *failed_op = -1;
  // Steps are numbered as in kRootSteps.
  auto fail = [&](int step, int err) {
    *failed_step = step;
    return err ? err : -EIO;
  };
  // Nothing we mount may propagate back to the host.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return fail(kMakePrivate, -errno);
  // A private base: the new root is built in it while the host root stays at /oldroot, so
  // bind sources resolve against the host even where the new root shadows their paths.
  if (::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=65536,mode=0700") != 0)
    return fail(kMountBase, -errno);
  if (::chdir("/tmp") != 0 || ::mkdir("oldroot", 0700) != 0) return fail(kPrepareBase, -errno);
  if (int err = pivot_root(".", "oldroot"); err) return fail(kPivotToBase, err);
  if (::chdir("/") != 0 || ::mkdir(kNewRoot, 0755) != 0) return fail(kPrepareNewRoot, -errno);
  if (::mount("tmpfs", kNewRoot, "tmpfs", MS_NOSUID | MS_NODEV, "size=1048576,mode=0755") != 0)
    return fail(kMountNewRoot, -errno);
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    if (int err = run_op(plan.ops[i]); err) {
      *failed_op = static_cast<int>(i);
      return fail(kMountOp, err);
    }
  }
  if (int err = set_attr(kNewRoot, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0))
    return fail(kReadOnlyRoot, err);
  if (::umount2(kOldRoot, MNT_DETACH) != 0) return fail(kDetachOldRoot, -errno);
  // pivot_root(".", ".") stacks the base on top of the new root; detaching it leaves only ours.
  if (::chdir(kNewRoot) != 0) return fail(kEnterNewRoot, -errno);
  if (int err = pivot_root(".", "."); err) return fail(kPivotToNewRoot, err);
  if (::umount2(".", MNT_DETACH) != 0) return fail(kDetachBase, -errno);
  if (::chdir("/") != 0) return fail(kChdirRoot, -errno);
  return 0;
}

int child_open_bind_sources(const Plan& plan, int* failed_source) noexcept {
  constexpr char kPrefix[] = "/oldroot/proc/self/fd/";
  for (size_t i = 0; i < plan.bind_sources.size(); ++i) {
    const int fd = ::open(plan.bind_sources[i].host_path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
      *failed_source = static_cast<int>(i);
      return -errno;
    }
    char digits[16];
    int n = 0;
    for (int v = fd; n == 0 || v > 0; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
    char* out = plan.bind_sources[i].link;
    std::memcpy(out, kPrefix, sizeof kPrefix - 1);
    out += sizeof kPrefix - 1;
    while (n > 0) *out++ = digits[--n];
    *out = '\0';
  }
  return 0;
}

const char* describe_root_step(int step) {
  constexpr int count = sizeof kRootSteps / sizeof kRootSteps[0];
  return step >= 0 && step < count ? kRootSteps[step] : "unknown step";
}

}  // namespace sandbox::mount
