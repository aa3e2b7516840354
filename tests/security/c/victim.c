// The victim in the two-sandbox cases: writes a secret (SEC_SECRET) into /workspace/secret
// (mode 0600) and /workspace/private/ (mode 0700), announces /workspace/ready, waits up to
// argv[1] seconds for the runner's /workspace/release, then checks the secret is intact.
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "tests/security/c/hostile.h"

static int write_secret(const char* path, const char* secret) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return errno;
  ssize_t written = write(fd, secret, strlen(secret));
  fchmod(fd, 0600);
  close(fd);
  return written == (ssize_t)strlen(secret) ? 0 : EIO;
}

static int secret_intact(const char* path, const char* secret) {
  char buffer[256] = {0};
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t got = read(fd, buffer, sizeof buffer - 1);
  close(fd);
  return got == (ssize_t)strlen(secret) && memcmp(buffer, secret, (size_t)got) == 0;
}

int main(int argc, char** argv) {
  const char* secret = need_env("SEC_SECRET");
  const int wait_seconds = argc > 1 ? atoi(argv[1]) : 20;
  mkdir("/workspace/private", 0700);
  chmod("/workspace/private", 0700);
  if (write_secret("/workspace/secret", secret) ||
      write_secret("/workspace/private/secret", secret)) {
    printf("RESULT FAIL could not write the secret: %s\n", errno_name(errno));
    return 2;
  }
  close(open("/workspace/ready", O_WRONLY | O_CREAT, 0644));
  struct timespec tick = {0, 50 * 1000 * 1000};
  for (int i = 0; i < wait_seconds * 20 && access("/workspace/release", F_OK) != 0; i++) {
    nanosleep(&tick, NULL);
  }
  if (access("/workspace/release", F_OK) != 0) note("not released in time");
  if (secret_intact("/workspace/secret", secret) &&
      secret_intact("/workspace/private/secret", secret)) {
    blocked("tamper with the victim's files", "secret intact");
  } else {
    escaped("tamper with the victim's files", "secret changed or removed");
  }
  return finish();
}
