// Changes the system clock. Each call sets the value just read (or makes no adjustment), so
// even a broken sandbox would not move the host's clock noticeably; succeeding is the escape.
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>

#include "tests/security/c/hostile.h"

static long set_realtime_to_now(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return clock_settime(CLOCK_REALTIME, &now);
}

static long settimeofday_to_now(void) {
  struct timeval now;
  gettimeofday(&now, NULL);
  return settimeofday(&now, NULL);
}

// Writes back the current tick length: a change of nothing that still needs CAP_SYS_TIME.
static long adjust_tick_unchanged(int use_clock_adjtime) {
  struct timex current = {.modes = 0};
  if (adjtimex(&current) < 0) return -1;
  struct timex same = {.modes = ADJ_TICK, .tick = current.tick};
  return use_clock_adjtime ? syscall(SYS_clock_adjtime, CLOCK_REALTIME, &same) : adjtimex(&same);
}

int main(void) {
  ATTEMPT_PERM("clock_settime REALTIME", set_realtime_to_now());
  ATTEMPT_PERM("settimeofday", settimeofday_to_now());
  ATTEMPT_PERM("adjtimex ADJ_TICK", adjust_tick_unchanged(0));
  ATTEMPT_PERM("clock_adjtime ADJ_TICK", adjust_tick_unchanged(1));
  return finish();
}
