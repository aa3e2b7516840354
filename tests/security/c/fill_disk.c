// Fills the directory argv[1] with 1 MiB files until the filesystem refuses, and checks that
// it refused by argv[2] MiB. A tmpfs without a size would instead eat the memory cgroup.
#include <fcntl.h>

#include "tests/security/c/hostile.h"

static int write_file(const char* dir, int index, const char* block, size_t size) {
  char path[4096];
  snprintf(path, sizeof path, "%s/fill-%d", dir, index);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return errno;
  ssize_t written = write(fd, block, size);
  int err = written == (ssize_t)size ? 0 : (written < 0 ? errno : ENOSPC);
  close(fd);
  return err;
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const char* dir = argv[1];
  const long max_mib = atol(argv[2]);
  static char block[1 << 20];
  memset(block, 'F', sizeof block);
  for (long mib = 0; mib <= max_mib + 1; mib++) {
    int err = write_file(dir, (int)mib, block, sizeof block);
    if (err != 0) {
      blocked("fill filesystem", "%s after %ld MiB in %s", errno_name(err), mib, dir);
      return finish();
    }
  }
  escaped("fill filesystem", "wrote more than %ld MiB into %s", max_mib, dir);
  return finish();
}
