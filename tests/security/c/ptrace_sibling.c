// Tries to trace or read the memory of a sibling process and of its parent.
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

// Attaches (which stops the target), waits for the stop and detaches again, so that even a
// successful attack leaves the target running.
static long attach_and_detach(pid_t pid) {
  if (ptrace(PTRACE_ATTACH, pid, 0, 0) != 0) return -1;
  waitpid(pid, NULL, __WALL);
  ptrace(PTRACE_DETACH, pid, 0, 0);
  return 0;
}

int main(void) {
  pid_t sibling = fork();
  if (sibling == 0) {
    pause();
    _exit(0);
  }
  const pid_t self = getpid();
  ATTEMPT("PTRACE_ATTACH sibling", attach_and_detach(sibling));
  ATTEMPT("PTRACE_SEIZE sibling", ptrace(PTRACE_SEIZE, sibling, 0, 0));
  // SEIZE does not stop the parent, which waits for this attempt's report.
  ATTEMPT("PTRACE_SEIZE parent", ptrace(PTRACE_SEIZE, self, 0, 0));
  ATTEMPT("PTRACE_TRACEME", ptrace(PTRACE_TRACEME, 0, 0, 0));
  ATTEMPT("process_vm_readv sibling", read_remote(sibling, target_data));
  ATTEMPT("process_vm_writev sibling", write_remote(sibling, target_data));
  kill(sibling, SIGKILL);
  waitpid(sibling, NULL, 0);
  return finish();
}
