// Second layer behind seccomp (run with --seccomp none): even if the kernel lets the program
// create a nested user namespace and become "root" there, the mounts the sandbox made stay
// locked: read-only binds cannot be made writable or unmounted to reveal what is under them.
// argv[1] is a file on a read-only bind of a host directory (the runner checks it unchanged).
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "tests/security/c/file_writes.h"

// Enters a new user+mount namespace as its root; 0 on success, else the errno.
static int become_nested_root(void) {
  const uid_t outer_uid = getuid();
  const gid_t outer_gid = getgid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return errno;
  char map[64];
  int err = write_text("/proc/self/setgroups", "deny");
  snprintf(map, sizeof map, "0 %u 1", outer_uid);
  if (!err) err = write_text("/proc/self/uid_map", map);
  snprintf(map, sizeof map, "0 %u 1", outer_gid);
  if (!err) err = write_text("/proc/self/gid_map", map);
  return err;
}

static long clear_readonly(const char* path) {
  struct mount_attr attr = {.attr_clr = MOUNT_ATTR_RDONLY};
  return syscall(SYS_mount_setattr, AT_FDCWD, path, 0, &attr, sizeof attr);
}

static void attack_locked_mounts(const char* ro_file, const char* ro_dir) {
  ATTEMPT("remount read-only bind writable", mount(NULL, ro_dir, NULL, MS_REMOUNT | MS_BIND, NULL));
  ATTEMPT("remount /usr writable", mount(NULL, "/usr", NULL, MS_REMOUNT | MS_BIND, NULL));
  ATTEMPT("mount_setattr clear read-only", clear_readonly(ro_dir));
  ATTEMPT("umount read-only bind", umount2(ro_dir, MNT_DETACH));
  ATTEMPT("umount /proc", umount2("/proc", MNT_DETACH));
  mkdir("/tmp/rebind", 0700);
  if (mount(ro_dir, "/tmp/rebind", NULL, MS_BIND, NULL) == 0) {
    ATTEMPT("remount a fresh bind of it writable",
            mount(NULL, "/tmp/rebind", NULL, MS_REMOUNT | MS_BIND, NULL));
  }
  ATTEMPT("write the read-only file", open(ro_file, O_WRONLY | O_TRUNC));
  ATTEMPT("chmod the read-only file", chmod(ro_file, 0777));
  ATTEMPT("create in /usr", open("/usr/agentd-sec-pwned", O_WRONLY | O_CREAT, 0600));
  ATTEMPT("sethostname of the outer uts namespace", sethostname("agentd-sec-pwned", 16));
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const char* ro_file = argv[1];
  char ro_dir[4096];
  snprintf(ro_dir, sizeof ro_dir, "%s", ro_file);
  char* slash = strrchr(ro_dir, '/');
  if (slash && slash != ro_dir) *slash = '\0';
  int err = become_nested_root();
  if (err) {
    blocked("nested user namespace", "%s", errno_name(err));
  } else {
    note("nested user namespace created (the kernel allows it without seccomp); attacking locks");
  }
  attack_locked_mounts(ro_file, ro_dir);
  return finish();
}
