// Creates a userfaultfd, a favourite tool for winning kernel races.
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <sys/syscall.h>

#include "tests/security/c/hostile.h"

int main(void) {
  ATTEMPT_PERM("userfaultfd user-mode-only",
               syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY));
  ATTEMPT_PERM("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC));
  ATTEMPT("open /dev/userfaultfd", open("/dev/userfaultfd", O_RDWR));
  return finish();
}
