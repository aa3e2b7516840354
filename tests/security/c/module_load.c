// Loads and unloads kernel modules. The arguments are invalid on purpose (no image, a name that
// does not exist), so even a broken sandbox loads nothing; a permission error is the only
// acceptable answer, since any other error means the capability check passed.
#include <fcntl.h>
#include <sys/syscall.h>

#include "tests/security/c/hostile.h"

int main(void) {
  ATTEMPT_PERM("init_module", syscall(SYS_init_module, NULL, 0, ""));
  int fd = open("/dev/null", O_RDONLY);
  ATTEMPT_PERM("finit_module", syscall(SYS_finit_module, fd, "", 0));
  ATTEMPT_PERM("delete_module",
               syscall(SYS_delete_module, "agentd_sec_no_such_module", O_NONBLOCK));
  return finish();
}
