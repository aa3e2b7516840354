// Forks sleeping children until fork fails and checks the count against the pids limit
// (argv[1]), so the limit is shown to be enforced, not merely survived.
#include "tests/security/c/hostile.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const long pids_limit = atol(argv[1]);
  const long safety_cap = pids_limit * 4 + 64;  // stop before harming a host with no limit
  long children = 0;
  for (; children < safety_cap; children++) {
    pid_t pid = fork();
    if (pid < 0) {
      note("fork failed after %ld children (+1 for this process)", children);
      if (children + 1 > pids_limit) {
        escaped("pids limit", "%ld processes exceed the limit of %ld", children + 1, pids_limit);
      } else {
        blocked("fork beyond pids limit", "%s after %ld processes", errno_name(errno),
                children + 1);
      }
      return finish();
    }
    if (pid == 0) {
      pause();
      _exit(0);
    }
  }
  escaped("pids limit", "forked %ld children, no limit hit", children);
  return finish();
}
