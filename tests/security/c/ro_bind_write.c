// Writes to read-only places: the runner's read-only bind of a host directory (SEC_RO_DIR,
// holding canary.txt; the runner checks the host copy unchanged), the system binds and /.
// On the host's own files only attempts that would change nothing are made, so even a broken
// sandbox cannot damage the machine running the suite.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "tests/security/c/hostile.h"

static long map_shared_writable(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  void* mapping = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return mapping == MAP_FAILED ? -1 : 0;
}

static long chmod_same(const char* path) {
  struct stat info;
  if (stat(path, &info) != 0) return -1;
  return chmod(path, info.st_mode & 07777);
}

static long touch_same(const char* path) {
  struct stat info;
  if (stat(path, &info) != 0) return -1;
  struct timespec times[2] = {info.st_atim, info.st_mtim};
  return utimensat(AT_FDCWD, path, times, 0);
}

// Attempts that would change nothing even if they worked: safe on the host's system files.
static void attack_file_harmlessly(const char* path) {
  char what[1200];
#define ON(verb) (snprintf(what, sizeof what, "%s %s", verb, path), what)
  ATTEMPT(ON("open for writing"), open(path, O_WRONLY));
  ATTEMPT(ON("open read-write"), open(path, O_RDWR));
  ATTEMPT(ON("chmod to its own mode"), chmod_same(path));
  ATTEMPT(ON("set its own timestamps"), touch_same(path));
  ATTEMPT(ON("mmap shared writable"), map_shared_writable(path));
#undef ON
}

// Destructive attempts, only on the runner's canary.
static void attack_file_destructively(const char* path, const char* renamed) {
  char what[1200];
  attack_file_harmlessly(path);
#define ON(verb) (snprintf(what, sizeof what, "%s %s", verb, path), what)
  ATTEMPT(ON("open truncating"), open(path, O_RDWR | O_TRUNC));
  ATTEMPT(ON("truncate"), truncate(path, 0));
  ATTEMPT(ON("chmod 0777"), chmod(path, 0777));
  ATTEMPT(ON("setxattr"), setxattr(path, "user.pwned", "1", 1, 0));
  ATTEMPT(ON("rename"), rename(path, renamed));
  ATTEMPT(ON("unlink"), unlink(path));
#undef ON
}

static void attack_directory(const char* dir) {
  char path[512];
  char what[1200];
  snprintf(path, sizeof path, "%s/agentd-sec-pwned", dir);
#define ON(verb) (snprintf(what, sizeof what, "%s %s", verb, path), what)
  ATTEMPT(ON("create"), open(path, O_WRONLY | O_CREAT, 0644));
  ATTEMPT(ON("mkdir"), mkdir(path, 0755));
  ATTEMPT(ON("symlink"), symlink("/etc/passwd", path));
  ATTEMPT(ON("mkfifo"), mkfifo(path, 0644));
#undef ON
}

int main(void) {
  const char* ro_dir = need_env("SEC_RO_DIR");
  char canary[512];
  char renamed[600];
  snprintf(canary, sizeof canary, "%s/canary.txt", ro_dir);
  snprintf(renamed, sizeof renamed, "%s/renamed.txt", ro_dir);
  attack_file_destructively(canary, renamed);
  attack_directory(ro_dir);
  attack_file_harmlessly("/etc/passwd");
  attack_file_harmlessly("/usr/bin/env");
  attack_directory("/usr/bin");
  attack_directory("/bin");
  attack_directory("/etc");
  attack_directory("");  // the root directory itself
  return finish();
}
