// Sets up an io_uring, whose operations bypass per-syscall seccomp filtering.
#include <linux/io_uring.h>
#include <sys/syscall.h>

#include "tests/security/c/hostile.h"

int main(void) {
  struct io_uring_params params;
  memset(&params, 0, sizeof params);
  ATTEMPT_PERM("io_uring_setup", syscall(SYS_io_uring_setup, 8, &params));
  return finish();
}
