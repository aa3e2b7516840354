// Tries to leave its cgroup (mount a cgroup filesystem, write itself into a parent or the
// root, find a writable cgroup mount) and then allocates memory without end: the case
// expects memory_limit, which proves the program was still inside its limited cgroup.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "tests/security/c/file_writes.h"
#include "tests/security/c/memory_eater.h"

// With a cgroup namespace every hierarchy shows "/": anything else leaks the host's layout.
static void check_own_cgroup_path(void) {
  FILE* cgroups = fopen("/proc/self/cgroup", "r");
  char line[512];
  int leaks = 0;
  while (cgroups && fgets(line, sizeof line, cgroups)) {
    char* path = strrchr(line, ':');
    if (path && strcmp(path, ":/\n") != 0) {
      escaped("cgroup namespace", "host cgroup path visible: %s", strtok(line, "\n"));
      leaks++;
    }
  }
  if (cgroups) fclose(cgroups);
  if (!leaks) blocked("cgroup namespace", "/proc/self/cgroup shows only /");
}

// Any cgroup filesystem mounted inside the sandbox: try to move into its root.
static void try_visible_cgroup_mounts(void) {
  FILE* mounts = fopen("/proc/self/mounts", "r");
  char device[256], target[512], type[64];
  while (mounts && fscanf(mounts, "%255s %511s %63s %*[^\n]", device, target, type) == 3) {
    if (strncmp(type, "cgroup", 6) != 0) continue;
    char path[600];
    char what[700];
    snprintf(path, sizeof path, "%s/cgroup.procs", target);
    snprintf(what, sizeof what, "join the root of mounted %s", target);
    ATTEMPT_ERR(what, write_text(path, "0"));
  }
  if (mounts) fclose(mounts);
}

int main(void) {
  check_own_cgroup_path();
  mkdir("/tmp/cg2", 0700);
  mkdir("/tmp/cg1", 0700);
  ATTEMPT("mount cgroup2", mount("none", "/tmp/cg2", "cgroup2", 0, NULL));
  ATTEMPT("mount cgroup v1 memory", mount("none", "/tmp/cg1", "cgroup", 0, "memory"));
  const char* controls[] = {"/sys/fs/cgroup/cgroup.procs", "/sys/fs/cgroup/memory/cgroup.procs",
                            "/sys/fs/cgroup/memory/tasks", "/sys/fs/cgroup/pids/cgroup.procs",
                            "/sys/fs/cgroup/unified/cgroup.procs"};
  for (size_t i = 0; i < sizeof controls / sizeof *controls; i++) {
    char what[128];
    snprintf(what, sizeof what, "write 0 to %s", controls[i]);
    ATTEMPT_ERR(what, write_text(controls[i], "0"));
  }
  try_visible_cgroup_mounts();
  note("now allocating without end: the memory limit must still apply");
  eat_memory(2ull << 30);
  return finish();
}
