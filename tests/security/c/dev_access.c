// Opens dangerous devices (read-only opens only: harmless even on the host), creates device
// nodes with mknod (the host's disk, SEC_HOST_BLOCK_DEV "major:minor", and /dev/mem), reads
// the kernel log, asks for I/O port access, and lists /dev for anything beyond the minimal set.
#include <dirent.h>
#include <fcntl.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "tests/security/c/hostile.h"

static int allowed_device(const struct stat* info) {
  if (S_ISBLK(info->st_mode)) return 0;
  unsigned major_number = major(info->st_rdev);
  unsigned minor_number = minor(info->st_rdev);
  if (major_number == 1) {  // null zero full random urandom
    return minor_number == 3 || minor_number == 5 || minor_number == 7 || minor_number == 8 ||
           minor_number == 9;
  }
  if (major_number == 5) return minor_number == 0 || minor_number == 2;  // tty, ptmx
  return major_number == 136;                                            // pts
}

// Returns how many devices outside the minimal set `dir` holds (each reported).
static int list_devices(const char* dir) {
  int unexpected = 0;
  DIR* listing = opendir(dir);
  for (struct dirent* entry; listing && (entry = readdir(listing));) {
    if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, "..")) continue;
    char path[1024];
    struct stat info;
    snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
    if (lstat(path, &info) != 0) continue;
    if (S_ISDIR(info.st_mode)) {
      unexpected += list_devices(path);
    } else if ((S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode)) && !allowed_device(&info)) {
      unexpected++;
      escaped("device in /dev", "%s (%c %u:%u)", path, S_ISBLK(info.st_mode) ? 'b' : 'c',
              major(info.st_rdev), minor(info.st_rdev));
    }
  }
  if (listing) closedir(listing);
  return unexpected;
}

static long make_and_open(const char* path, mode_t type, unsigned major_number,
                          unsigned minor_number) {
  if (mknod(path, type | 0666, makedev(major_number, minor_number)) != 0) return -1;
  return open(path, O_RDONLY);
}

int main(void) {
  unsigned disk_major = 0, disk_minor = 0;
  sscanf(need_env("SEC_HOST_BLOCK_DEV"), "%u:%u", &disk_major, &disk_minor);
  const char* devices[] = {"/dev/mem",        "/dev/kmem",        "/dev/port",
                           "/dev/kmsg",       "/dev/vda",         "/dev/sda",
                           "/dev/nvme0n1",    "/dev/loop0",       "/dev/loop-control",
                           "/dev/mapper/control", "/dev/fuse",    "/dev/net/tun",
                           "/dev/kvm",        "/dev/console",     "/dev/tty0",
                           "/dev/cpu/0/msr",  "/dev/vhost-net",   "/dev/uinput"};
  for (size_t i = 0; i < sizeof devices / sizeof *devices; i++) {
    char what[128];
    snprintf(what, sizeof what, "open %s", devices[i]);
    ATTEMPT(what, open(devices[i], O_RDONLY));
  }
  ATTEMPT("mknod the host's disk", make_and_open("/tmp/disk", S_IFBLK, disk_major, disk_minor));
  ATTEMPT("mknod /dev/mem", make_and_open("/tmp/mem", S_IFCHR, 1, 1));
  ATTEMPT("mknod /dev/kmsg in /workspace", make_and_open("/workspace/kmsg", S_IFCHR, 1, 11));
  ATTEMPT_PERM("syslog read all", klogctl(3, (char[256]){0}, 256));
  ATTEMPT_PERM("iopl(3)", syscall(SYS_iopl, 3));
  ATTEMPT_PERM("ioperm(0x80)", syscall(SYS_ioperm, 0x80, 1, 1));
  if (list_devices("/dev") == 0) blocked("devices in /dev", "only the minimal set");
  return finish();
}
