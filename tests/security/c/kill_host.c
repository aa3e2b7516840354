// Kills host processes: the runner starts sleepers (as root and as uids of the sandbox range)
// and passes their host pids in SEC_HOST_PIDS (comma-separated); it checks them alive after.
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "tests/security/c/pidfd_kill.h"

static long pin_to_cpu0(pid_t pid) {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(0, &cpus);
  return sched_setaffinity(pid, sizeof cpus, &cpus);
}

static void attack(pid_t pid) {
  char what[128];
#define ON(verb) (snprintf(what, sizeof what, "%s host pid %d", verb, pid), what)
  ATTEMPT(ON("kill"), kill(pid, SIGKILL));
  ATTEMPT(ON("kill process group of"), kill(-pid, SIGKILL));
  ATTEMPT(ON("tgkill"), syscall(SYS_tgkill, pid, pid, SIGKILL));
  ATTEMPT(ON("pidfd_send_signal"), pidfd_kill(pid));
  ATTEMPT(ON("setpriority"), setpriority(PRIO_PROCESS, (id_t)pid, 19));
  ATTEMPT(ON("sched_setaffinity"), pin_to_cpu0(pid));
#undef ON
}

int main(void) {
  char pids[1024];
  snprintf(pids, sizeof pids, "%s", need_env("SEC_HOST_PIDS"));
  for (char* pid = strtok(pids, ","); pid; pid = strtok(NULL, ",")) {
    if (atol(pid) > 1) attack((pid_t)atol(pid));  // -1 would mean "every process"
  }
  note("getppid() = %d", getppid());
  int everyone = kill(-1, SIGKILL);
  note("kill(-1, SIGKILL): %s (only the sandbox's own processes may be hit)",
       everyone == 0 ? "delivered" : errno_name(errno));
  return finish();
}
