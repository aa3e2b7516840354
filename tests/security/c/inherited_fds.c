// Looks for file descriptors inherited from the host. The runner starts agentbox holding a
// pipe to itself, a host file and the host's root directory on fds without close-on-exec;
// the program writes into every fd it finds and tries to escape through directory fds.
#include <fcntl.h>
#include <sys/resource.h>

#include "tests/security/c/hostile.h"

static void report_fd(int fd) {
  char link[64];
  char target[512] = "?";
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t length = readlink(link, target, sizeof target - 1);
  if (length >= 0) target[length] = '\0';
  escaped("inherited fd", "fd %d is open: %s", fd, target);
  ssize_t written = write(fd, "agentd-sec-leak\n", 16);
  if (written > 0) note("wrote into fd %d", fd);
  int passwd = openat(fd, "etc/passwd", O_RDONLY);
  if (passwd >= 0) escaped("escape through a directory fd", "fd %d reaches etc/passwd", fd);
}

int main(void) {
  struct rlimit files;
  getrlimit(RLIMIT_NOFILE, &files);
  const int highest = files.rlim_cur > 65536 ? 65536 : (int)files.rlim_cur;
  int found = 0;
  for (int fd = 3; fd < highest; fd++) {
    if (fcntl(fd, F_GETFD) != -1) {
      report_fd(fd);
      found++;
    }
  }
  if (!found) blocked("inherited fds", "only fds 0, 1 and 2 are open (checked up to %d)", highest);
  return finish();
}
