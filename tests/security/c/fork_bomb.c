// Classic exponential fork bomb: every process forks forever. The pids cgroup must cap it and
// the wall-time limit must kill the whole pid namespace; the runner checks nothing survives.
#include "tests/security/c/hostile.h"

int main(void) {
  note("fork bomb: every process forks forever");
  for (;;) {
    fork();
  }
}
