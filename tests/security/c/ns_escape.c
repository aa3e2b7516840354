// Tries to create or join namespaces: unshare, clone, clone3 and setns. argv[1] "all" (default
// seccomp profile: every attempt must fail) or "privileged" (--seccomp none: the attempts that
// need a capability must fail; plain user namespaces are covered by nested_userns.c).
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/syscall.h>

#include "tests/security/c/hostile.h"

// Runs clone with `flags` and reaps the child; 0 if the namespace was created.
static int clone_reaped(unsigned long flags) {
  long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) return errno;
  if (pid == 0) _exit(0);
  waitpid((pid_t)pid, NULL, 0);
  return 0;
}

static int clone3_reaped(unsigned long long flags) {
  struct clone_args args = {.flags = flags, .exit_signal = SIGCHLD};
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return errno;
  if (pid == 0) _exit(0);
  waitpid((pid_t)pid, NULL, 0);
  return 0;
}

static long setns_path(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  return setns(fd, 0);
}

static long setns_pidfd(int ns_flags) {
  int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
  if (pidfd < 0) return -1;
  return setns(pidfd, ns_flags);
}

struct ns_kind {
  const char* name;
  int flag;
};

static const struct ns_kind privileged_namespaces[] = {
    {"mnt", CLONE_NEWNS},    {"net", CLONE_NEWNET},       {"pid", CLONE_NEWPID},
    {"uts", CLONE_NEWUTS},   {"ipc", CLONE_NEWIPC},       {"cgroup", CLONE_NEWCGROUP},
    {"time", CLONE_NEWTIME},
};

static void try_namespace(const struct ns_kind* ns, int with_user) {
  char what[128];
  char path[64];
  snprintf(what, sizeof what, "unshare %s", ns->name);
  ATTEMPT(what, unshare(ns->flag));
  snprintf(what, sizeof what, "setns own %s", ns->name);
  snprintf(path, sizeof path, "/proc/self/ns/%s", ns->name);
  ATTEMPT(what, setns_path(path));
  if (with_user) {
    snprintf(what, sizeof what, "unshare user+%s", ns->name);
    ATTEMPT(what, unshare(CLONE_NEWUSER | ns->flag));
  }
}

int main(int argc, char** argv) {
  const int with_user = argc < 2 || strcmp(argv[1], "privileged") != 0;
  for (size_t i = 0; i < sizeof privileged_namespaces / sizeof *privileged_namespaces; i++) {
    try_namespace(&privileged_namespaces[i], with_user);
  }
  ATTEMPT_ERR("clone NEWNS|NEWPID|NEWNET", clone_reaped(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET));
  ATTEMPT_ERR("clone3 NEWNS|NEWNET", clone3_reaped(CLONE_NEWNS | CLONE_NEWNET));
  ATTEMPT("setns pidfd self net+mnt", setns_pidfd(CLONE_NEWNET | CLONE_NEWNS));
  if (with_user) {
    ATTEMPT("unshare user", unshare(CLONE_NEWUSER));
    ATTEMPT_ERR("clone NEWUSER", clone_reaped(CLONE_NEWUSER));
    ATTEMPT_ERR("clone3 NEWUSER", clone3_reaped(CLONE_NEWUSER));
  }
  return finish();
}
