// Tries every way to change the mount tree: mount, bind, remount read-write, propagation,
// umount, pivot_root, chroot and the new mount API. Run with the default seccomp profile
// (the filter refuses) and with --seccomp none (no capabilities, so the kernel refuses).
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "tests/security/c/hostile.h"

static long remount_writable_setattr(const char* path) {
  struct mount_attr attr = {.attr_clr = MOUNT_ATTR_RDONLY};
  return syscall(SYS_mount_setattr, AT_FDCWD, path, 0, &attr, sizeof attr);
}

static void try_new_mounts(void) {
  ATTEMPT("mount tmpfs", mount("none", "/tmp/m", "tmpfs", 0, NULL));
  ATTEMPT("mount proc", mount("proc", "/tmp/p", "proc", 0, NULL));
  ATTEMPT("mount sysfs", mount("sysfs", "/tmp/s", "sysfs", 0, NULL));
  ATTEMPT("mount cgroup2", mount("cgroup2", "/tmp/c", "cgroup2", 0, NULL));
  ATTEMPT("bind mount /", mount("/", "/tmp/b", NULL, MS_BIND | MS_REC, NULL));
  ATTEMPT("fsopen tmpfs", syscall(SYS_fsopen, "tmpfs", 0));
  ATTEMPT("open_tree clone /usr", syscall(SYS_open_tree, AT_FDCWD, "/usr", OPEN_TREE_CLONE));
}

static void try_changing_existing_mounts(void) {
  ATTEMPT("remount /usr read-write", mount(NULL, "/usr", NULL, MS_REMOUNT | MS_BIND, NULL));
  ATTEMPT("remount / read-write", mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL));
  ATTEMPT("mount_setattr /usr read-write", remount_writable_setattr("/usr"));
  ATTEMPT("make / shared", mount(NULL, "/", NULL, MS_SHARED | MS_REC, NULL));
  ATTEMPT("umount /proc", umount2("/proc", MNT_DETACH));
  ATTEMPT("umount /usr", umount2("/usr", 0));
  ATTEMPT("umount /tmp", umount2("/tmp", MNT_DETACH));
  ATTEMPT("pivot_root", syscall(SYS_pivot_root, "/tmp", "/tmp/old"));
  ATTEMPT("chroot /tmp", chroot("/tmp"));
}

int main(void) {
  const char* mount_points[] = {"/tmp/m", "/tmp/p", "/tmp/s", "/tmp/c", "/tmp/b", "/tmp/old"};
  for (size_t i = 0; i < sizeof mount_points / sizeof *mount_points; i++) {
    mkdir(mount_points[i], 0700);
  }
  try_new_mounts();
  try_changing_existing_mounts();
  ATTEMPT("write into /usr afterwards", open("/usr/agentd-sec-pwned", O_WRONLY | O_CREAT, 0600));
  return finish();
}
