// Grows one file past RLIMIT_FSIZE (argv[2] MiB). argv[1] "ignore": SIGXFSZ is ignored and
// write must fail with EFBIG. "default": a child process grows the file with the default
// SIGXFSZ action and must be killed by it (a child, because the sandboxed program is pid 1 of
// its namespace, and the kernel drops default-action signals it sends to a namespace's init).
// Either way the file on /tmp must not exceed the limit.
#include <fcntl.h>
#include <sys/stat.h>

#include "tests/security/c/hostile.h"

// Writes 1 MiB blocks until write fails; returns the errno (0 if max_bytes was exceeded).
static int grow_file(const char* path, unsigned long long max_bytes) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return errno;
  static char block[1 << 20];
  memset(block, 'B', sizeof block);
  for (unsigned long long total = 0; total <= max_bytes;) {
    ssize_t written = write(fd, block, sizeof block);
    if (written < 0) return errno;
    total += (unsigned long long)written;
  }
  return 0;
}

static void judge_size(const char* path, unsigned long long max_bytes, const char* how) {
  struct stat info;
  if (stat(path, &info) != 0) {
    printf("RESULT FAIL stat %s: %s\n", path, errno_name(errno));
    exit(2);
  }
  if ((unsigned long long)info.st_size > max_bytes) {
    escaped("file size bomb", "file grew to %lld bytes (%s)", (long long)info.st_size, how);
  } else {
    blocked("file size bomb", "%s at %lld MiB", how, (long long)info.st_size >> 20);
  }
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const unsigned long long max_bytes = (unsigned long long)atol(argv[2]) << 20;
  const char* path = "/tmp/big";
  if (strcmp(argv[1], "ignore") == 0) {
    signal(SIGXFSZ, SIG_IGN);
    int err = grow_file(path, max_bytes);
    judge_size(path, max_bytes, err == EFBIG ? "EFBIG" : errno_name(err));
    return finish();
  }
  fflush(NULL);
  pid_t writer = fork();
  if (writer == 0) _exit(grow_file(path, max_bytes));
  int status = 0;
  waitpid(writer, &status, 0);
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ) {
    judge_size(path, max_bytes, "writer killed by SIGXFSZ");
  } else {
    note("writer was not killed by SIGXFSZ (status %d)", status);
    judge_size(path, max_bytes, "writer stopped without SIGXFSZ");
    printf("RESULT FAIL SIGXFSZ was not delivered\n");
    return 1;
  }
  return finish();
}
