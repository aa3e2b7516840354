// The x32 ABI: x86_64 calls with bit 30 set in the number (__X32_SYSCALL_BIT). A filter that
// matches bare numbers could miss them; the profile must refuse them (this kernel may also
// lack x32, then every call fails with ENOSYS). Numbers from <asm/unistd_x32.h>.
#include <sys/syscall.h>

#include "tests/security/c/hostile.h"

#define X32(number) (0x40000000L + (number))

int main(void) {
  ATTEMPT_PERM("x32 getpid", syscall(X32(39)));
  ATTEMPT_PERM("x32 unshare(CLONE_NEWUSER)", syscall(X32(272), 0x10000000L));
  ATTEMPT_PERM("x32 mount", syscall(X32(165), 0, 0, 0, 0, 0));
  ATTEMPT_PERM("x32 ptrace(PTRACE_TRACEME)", syscall(X32(521), 0, 0, 0, 0));
  ATTEMPT_PERM("x32 keyctl(GET_KEYRING_ID)", syscall(X32(250), 0, -3L, 0));
  ATTEMPT_PERM("x32 setns", syscall(X32(308), 0, 0));
  ATTEMPT_PERM("x32 bpf", syscall(X32(321), 0, 0, 0));
  ATTEMPT_PERM("x32 perf_event_open", syscall(X32(298), 0, 0, 0, 0, 0));
  ATTEMPT_PERM("x32 init_module", syscall(X32(175), 0, 0, 0));
  return finish();
}
