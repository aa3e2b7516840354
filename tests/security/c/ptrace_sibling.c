// Tries to trace or read the memory of a sibling process and of pid 1 (this program).
#include <sys/ptrace.h>
#include <sys/uio.h>

#include "tests/security/c/hostile.h"

static long read_remote(pid_t pid, void* address) {
  char buffer[16];
  struct iovec local = {buffer, sizeof buffer};
  struct iovec remote = {address, sizeof buffer};
  return process_vm_readv(pid, &local, 1, &remote, 1, 0);
}

static long write_remote(pid_t pid, void* address) {
  char buffer[16] = "pwned";
  struct iovec local = {buffer, sizeof buffer};
  struct iovec remote = {address, sizeof buffer};
  return process_vm_writev(pid, &local, 1, &remote, 1, 0);
}

static char target_data[16] = "target";

int main(void) {
  pid_t sibling = fork();
  if (sibling == 0) {
    pause();
    _exit(0);
  }
  const pid_t self = getpid();
  ATTEMPT("PTRACE_ATTACH sibling", ptrace(PTRACE_ATTACH, sibling, 0, 0));
  ATTEMPT("PTRACE_SEIZE sibling", ptrace(PTRACE_SEIZE, sibling, 0, 0));
  ATTEMPT("PTRACE_ATTACH parent", ptrace(PTRACE_ATTACH, self, 0, 0));
  ATTEMPT("PTRACE_TRACEME", ptrace(PTRACE_TRACEME, 0, 0, 0));
  ATTEMPT("process_vm_readv sibling", read_remote(sibling, target_data));
  ATTEMPT("process_vm_writev sibling", write_remote(sibling, target_data));
  kill(sibling, SIGKILL);
  waitpid(sibling, NULL, 0);
  return finish();
}
