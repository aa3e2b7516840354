// Grows one file past RLIMIT_FSIZE. argv[1] "ignore": SIGXFSZ is ignored and write must fail
// with EFBIG by argv[2] MiB; "default": the kernel's SIGXFSZ must kill the program.
#include <fcntl.h>

#include "tests/security/c/hostile.h"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const int ignore_signal = strcmp(argv[1], "ignore") == 0;
  const unsigned long long max_bytes = (unsigned long long)atol(argv[2]) << 20;
  if (ignore_signal) signal(SIGXFSZ, SIG_IGN);
  int fd = open("/tmp/big", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    printf("RESULT FAIL open /tmp/big: %s\n", errno_name(errno));
    return 2;
  }
  static char block[1 << 20];
  memset(block, 'B', sizeof block);
  unsigned long long total = 0;
  while (total <= max_bytes) {
    ssize_t written = write(fd, block, sizeof block);
    if (written < 0) {
      if (errno == EFBIG) {
        blocked("file size bomb", "EFBIG at %llu MiB", total >> 20);
      } else {
        note("write failed with %s at %llu MiB, not EFBIG", errno_name(errno), total >> 20);
      }
      return finish();
    }
    total += (unsigned long long)written;
  }
  escaped("file size bomb", "file grew past %llu MiB", max_bytes >> 20);
  return finish();
}
