// Opens perf events: a software counter on itself (allowed by the host's perf_event_paranoid,
// so only the seccomp filter stops it) and a system-wide hardware counter.
#include <linux/perf_event.h>
#include <sys/syscall.h>

#include "tests/security/c/hostile.h"

static long open_event(unsigned type, unsigned long long config, pid_t pid, int cpu) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = type;
  attr.config = config;
  attr.disabled = 1;
  return syscall(SYS_perf_event_open, &attr, pid, cpu, -1, 0);
}

int main(void) {
  ATTEMPT_PERM("perf_event_open self cpu-clock",
               open_event(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, 0, -1));
  ATTEMPT_PERM("perf_event_open system-wide cycles",
               open_event(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, -1, 0));
  return finish();
}
