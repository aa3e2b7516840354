#include "sandbox/spec.h"

#include <sys/stat.h>

namespace sandbox {
namespace {

bool exists(const char* path) {
  struct stat st {};
  return ::lstat(path, &st) == 0;
}

}  // namespace

std::vector<Mount> system_mounts() {
  std::vector<Mount> mounts;
  // /bin, /sbin and /lib* are symlinks into /usr on merged-/usr systems (Debian 12); the mount
  // plan recreates a host symlink as a symlink instead of binding it.
  for (const char* dir : {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    if (exists(dir)) mounts.push_back({MountType::ro_bind, dir, dir, 0});
  }
  // Only what the dynamic linker, name lookups and locale-aware programs read. The sandbox's
  // own passwd, group and hosts are written by the mount plan, not bound from the host.
  for (const char* file :
       {"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
        "/etc/localtime", "/etc/nsswitch.conf", "/etc/ssl/certs", "/etc/mime.types", "/etc/python3",
        "/etc/python3.11"}) {
    if (exists(file)) mounts.push_back({MountType::ro_bind, file, file, 0});
  }
  mounts.push_back({MountType::proc, "", "/proc", 0});
  mounts.push_back({MountType::dev, "", "/dev", 64ull << 20});
  mounts.push_back({MountType::tmpfs, "", "/tmp", 64ull << 20});
  return mounts;
}

Spec default_spec(std::vector<std::string> argv) {
  Spec spec;
  spec.argv = std::move(argv);
  spec.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/workspace", "LANG=C.UTF-8",
              "TMPDIR=/tmp"};
  spec.mounts = system_mounts();
  spec.mounts.push_back({MountType::tmpfs, "", "/workspace", 256ull << 20});
  spec.workdir = "/workspace";
  return spec;
}

}  // namespace sandbox
