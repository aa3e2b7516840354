// The 32-bit ABI from a 64-bit process: `int $0x80` enters the kernel's i386 syscall table,
// whose numbers differ from x86_64's. A filter written only for x86_64 numbers would let
// mount (21 here) or unshare (310) through, so the profile must refuse the i386 ABI entirely:
// even getpid must not succeed. Numbers from <asm/unistd_32.h>.
#include "tests/security/c/hostile.h"

// Executes an i386 system call; -1 with errno set on failure, like syscall(2).
static long int80(long number, long arg1, long arg2, long arg3) {
  long result;
  __asm__ volatile("int $0x80"
                   : "=a"(result)
                   : "a"(number), "b"(arg1), "c"(arg2), "d"(arg3)
                   : "memory", "r8", "r9", "r10", "r11");
  int value = (int)result;  // the i386 ABI returns a 32-bit value
  if (value < 0 && value > -4096) {
    errno = -value;
    return -1;
  }
  return value;
}

int main(void) {
  ATTEMPT_PERM("i386 getpid", int80(20, 0, 0, 0));
  ATTEMPT_PERM("i386 unshare(CLONE_NEWUSER)", int80(310, 0x10000000, 0, 0));
  ATTEMPT_PERM("i386 mount", int80(21, 0, 0, 0));
  ATTEMPT_PERM("i386 ptrace(PTRACE_TRACEME)", int80(26, 0, 0, 0));
  ATTEMPT_PERM("i386 keyctl(GET_KEYRING_ID)", int80(288, 0, -3, 0));
  ATTEMPT_PERM("i386 setns", int80(346, 0, 0, 0));
  ATTEMPT_PERM("i386 bpf", int80(357, 0, 0, 0));
  ATTEMPT_PERM("i386 perf_event_open", int80(336, 0, 0, 0));
  ATTEMPT_PERM("i386 init_module", int80(128, 0, 0, 0));
  ATTEMPT_PERM("i386 io_uring_setup", int80(425, 0, 0, 0));
  return finish();
}
