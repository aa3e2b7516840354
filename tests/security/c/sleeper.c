// Sleeps argv[1] seconds using no CPU. A CPU-time limit cannot stop it; only wall time can.
// Also used as a harmless long-lived program by the cgroup cleanup case.
#include <time.h>

#include "tests/security/c/hostile.h"

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? atof(argv[1]) : 60;
  struct timespec duration = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
  while (nanosleep(&duration, &duration) != 0 && errno == EINTR) {
  }
  note("slept %.1f s", seconds);
  printf("RESULT PASS slept\n");
  return 0;
}
