// Spins on the CPU in argv[1] processes (default 1). With one process RLIMIT_CPU alone could
// stop it; with several, only a sandbox-wide CPU account does.
#include "tests/security/c/hostile.h"

int main(int argc, char** argv) {
  const int processes = argc > 1 ? atoi(argv[1]) : 1;
  note("spinning in %d processes", processes);
  for (int i = 1; i < processes; i++) {
    if (fork() == 0) break;
  }
  volatile unsigned long counter = 0;
  for (;;) counter++;
}
