// Looks for file descriptors inherited from the host. The runner starts agentbox holding a
// pipe to itself, a host file and the host's root directory on fds without close-on-exec;
// the program writes into every fd it finds and tries to escape through directory fds.
// Inherited fds may sit above RLIMIT_NOFILE, so both /proc/self/fd and every number up to
// 65535 are checked.
#include <dirent.h>
#include <fcntl.h>

#include "tests/security/c/hostile.h"

static int found;

static void report_fd(int fd) {
  char link[64];
  char target[512] = "?";
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t length = readlink(link, target, sizeof target - 1);
  if (length >= 0) target[length] = '\0';
  escaped("inherited fd", "fd %d is open: %s", fd, target);
  found++;
  ssize_t written = write(fd, "agentd-sec-leak\n", 16);
  if (written > 0) note("wrote into fd %d", fd);
  int passwd = openat(fd, "etc/passwd", O_RDONLY);
  if (passwd >= 0) escaped("escape through a directory fd", "fd %d reaches etc/passwd", fd);
}

int main(void) {
  int reported[65536] = {0};
  DIR* listing = opendir("/proc/self/fd");
  if (!listing) {
    printf("RESULT FAIL opendir /proc/self/fd: %s\n", errno_name(errno));
    return 2;
  }
  for (struct dirent* entry; (entry = readdir(listing));) {
    int fd = atoi(entry->d_name);
    if (entry->d_name[0] == '.' || fd <= 2 || fd == dirfd(listing)) continue;
    report_fd(fd);
    if (fd < 65536) reported[fd] = 1;
  }
  closedir(listing);
  for (int fd = 3; fd < 65536; fd++) {
    if (!reported[fd] && fcntl(fd, F_GETFD) != -1) report_fd(fd);
  }
  if (!found) blocked("inherited fds", "only fds 0, 1 and 2 are open");
  return finish();
}
