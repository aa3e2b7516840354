// Small write helpers shared by the programs that attack kernel settings and control files.
// Each returns 0 when the write went through (the attack worked), else the errno.
#pragma once

#include <fcntl.h>

#include "tests/security/c/hostile.h"

static inline int write_text(const char* path, const char* text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return errno;
  int err = write(fd, text, strlen(text)) < 0 ? errno : 0;
  close(fd);
  return err;
}

// Writes back the value just read, so that even a write that gets through changes nothing.
static inline int write_back(const char* path) {
  char value[4096];
  int fd = open(path, O_RDONLY);
  ssize_t got = fd < 0 ? -1 : read(fd, value, sizeof value);
  if (fd >= 0) close(fd);
  if (got < 0) return errno;
  fd = open(path, O_WRONLY);
  if (fd < 0) return errno;
  int err = write(fd, value, (size_t)got) < 0 ? errno : 0;
  close(fd);
  return err;
}
