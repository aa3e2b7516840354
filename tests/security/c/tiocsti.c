// Injects keystrokes into a terminal with TIOCSTI: on fds 0-2 (the runner gives agentbox a
// pseudo-terminal as stdin and checks that nothing arrives there), on /dev/tty, after trying
// to make fd 0 its controlling terminal, and with high bits set in the 64-bit ioctl number
// (the kernel truncates it to 32 bits; a filter that compares 64 bits can be bypassed).
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "tests/security/c/hostile.h"

static const char* injection;

static int inject(int fd, unsigned long request) {
  for (const char* c = injection; *c; c++) {
    if (syscall(SYS_ioctl, fd, request, c) != 0) return errno;
  }
  return 0;
}

static int inject_into_dev_tty(void) {
  int fd = open("/dev/tty", O_RDWR);
  if (fd < 0) return errno;
  return inject(fd, TIOCSTI);
}

// setsid, claim `fd` as controlling terminal, then inject: TIOCSTI on one's own controlling
// terminal needs no capability.
static int steal_terminal_and_inject(int fd) {
  if (setsid() < 0) return errno;
  if (ioctl(fd, TIOCSCTTY, 0) != 0) return errno;
  return inject(fd, TIOCSTI);
}

int main(void) {
  injection = need_env("SEC_INJECTION");
  char what[64];
  for (int fd = 0; fd <= 2; fd++) {
    snprintf(what, sizeof what, "TIOCSTI fd %d", fd);
    ATTEMPT_ERR(what, inject(fd, TIOCSTI));
    snprintf(what, sizeof what, "TIOCSTI|1<<32 fd %d", fd);
    ATTEMPT_ERR(what, inject(fd, TIOCSTI | (1ul << 32)));
  }
  ATTEMPT_ERR("TIOCSTI /dev/tty", inject_into_dev_tty());
  ATTEMPT_ERR("TIOCSCTTY fd 0 then TIOCSTI", steal_terminal_and_inject(0));
  return finish();
}
