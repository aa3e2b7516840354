// Kills a process through a pidfd, the race-free way a sandboxed program could try to reach
// processes outside its namespace. -1 with errno on failure, like the syscalls it wraps.
#pragma once

#include <sys/syscall.h>

#include "tests/security/c/hostile.h"

static inline long pidfd_kill(pid_t pid) {
  long pidfd = syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return -1;
  return syscall(SYS_pidfd_send_signal, (int)pidfd, SIGKILL, NULL, 0);
}
