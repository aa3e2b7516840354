// Signals another sandbox running at the same time. SEC_VICTIM_PID is the victim's host pid;
// the runner checks afterwards that the victim is still alive and finishes normally.
#include <sys/resource.h>
#include <sys/stat.h>

#include "tests/security/c/pidfd_kill.h"

int main(void) {
  const pid_t victim = (pid_t)atol(need_env("SEC_VICTIM_PID"));
  char proc_path[64];
  struct stat info;
  snprintf(proc_path, sizeof proc_path, "/proc/%d", victim);
  if (stat(proc_path, &info) == 0) {
    escaped("see the victim", "%s exists in this pid namespace", proc_path);
  } else {
    blocked("see the victim", "%s: %s", proc_path, errno_name(errno));
  }
  ATTEMPT("kill victim pid", kill(victim, SIGKILL));
  ATTEMPT("kill victim process group", kill(-victim, SIGKILL));
  ATTEMPT("pidfd_send_signal victim", pidfd_kill(victim));
  ATTEMPT("setpriority victim", setpriority(PRIO_PROCESS, (id_t)victim, 19));
  int everyone = kill(-1, SIGKILL);
  note("kill(-1, SIGKILL): %s (only this sandbox's own processes may be hit)",
       everyone == 0 ? "delivered" : errno_name(errno));
  return finish();
}
