// Opens files until the fd limit stops it (at most argv[1] fds), then tries to raise the limit.
#include <fcntl.h>
#include <sys/resource.h>

#include "tests/security/c/hostile.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const long max_fds = atol(argv[1]);
  long opened = 0;
  int first_fd = -1;
  for (; opened < 1 << 20; opened++) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0) break;
    if (first_fd < 0) first_fd = fd;
  }
  const int open_errno = errno;
  for (long i = 0; i < opened; i++) close(first_fd + (int)i);  // the attempts need fds
  if (opened + 3 > max_fds) {
    escaped("fd exhaustion", "opened %ld fds, limit is %ld", opened + 3, max_fds);
  } else {
    blocked("fd exhaustion", "%s after %ld fds", errno_name(open_errno), opened + 3);
  }
  struct rlimit huge = {1 << 20, 1 << 20};
  ATTEMPT("raise RLIMIT_NOFILE", setrlimit(RLIMIT_NOFILE, &huge));
  ATTEMPT("prlimit RLIMIT_NOFILE", prlimit(0, RLIMIT_NOFILE, &huge, NULL));
  ATTEMPT("dup2 to fd 1000000", dup2(0, 1000000));
  return finish();
}
