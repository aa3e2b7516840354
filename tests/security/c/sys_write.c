// Writes into /sys, which must be masked: creates files, writes the current value back into
// settings (harmless if it ever worked) and looks for host devices and cgroup controls.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "tests/security/c/file_writes.h"

static int count_entries(const char* path) {
  DIR* dir = opendir(path);
  if (!dir) return 0;
  int entries = 0;
  for (struct dirent* entry; (entry = readdir(dir));) {
    if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..")) entries++;
  }
  closedir(dir);
  return entries;
}

int main(void) {
  note("/sys has %d entries", count_entries("/sys"));
  const char* host_views[] = {"/sys/block", "/sys/class/net", "/sys/firmware", "/sys/fs/cgroup",
                              "/sys/kernel/debug", "/sys/kernel/security", "/sys/bus/pci"};
  for (size_t i = 0; i < sizeof host_views / sizeof *host_views; i++) {
    int entries = count_entries(host_views[i]);
    if (entries > 0) {
      escaped("host view through /sys", "%s lists %d entries", host_views[i], entries);
    } else {
      blocked("host view through /sys", "%s empty or absent", host_views[i]);
    }
  }
  ATTEMPT_ERR("write back /sys/kernel/uevent_helper", write_back("/sys/kernel/uevent_helper"));
  ATTEMPT_ERR("write back /sys/kernel/mm/ksm/run", write_back("/sys/kernel/mm/ksm/run"));
  ATTEMPT("create /sys/agentd-sec-pwned", open("/sys/agentd-sec-pwned", O_WRONLY | O_CREAT, 0600));
  ATTEMPT("mkdir /sys/fs/cgroup/agentd-sec", mkdir("/sys/fs/cgroup/agentd-sec", 0700));
  mkdir("/tmp/sys", 0700);
  ATTEMPT("mount a fresh sysfs", mount("sysfs", "/tmp/sys", "sysfs", 0, NULL));
  return finish();
}
