// Uses the kernel keyring syscalls, which the default profile denies: keyrings are not
// namespaced and have a long history of kernel bugs.
#include <linux/keyctl.h>
#include <sys/syscall.h>

#include "tests/security/c/hostile.h"

int main(void) {
  ATTEMPT_PERM("add_key", syscall(SYS_add_key, "user", "agentd-sec", "x", 1,
                                  KEY_SPEC_SESSION_KEYRING));
  ATTEMPT_PERM("keyctl join session keyring",
               syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "agentd-sec"));
  ATTEMPT_PERM("keyctl get user keyring",
               syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0));
  ATTEMPT_PERM("request_key", syscall(SYS_request_key, "user", "agentd-sec", NULL, 0));
  return finish();
}
