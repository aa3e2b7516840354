// Runs setuid-root, setgid-root and file-capability binaries that the runner planted in a
// read-only bind (SEC_SUID_DIR), and the host's own setuid mount(8) and su(1): none may raise
// the program's credentials (nosuid binds, no_new_privs, and host root unmapped).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tests/security/c/hostile.h"

// Runs argv with stdin from /dev/null and its stdout into `output`; returns the wait status.
static int run_capture(char* const argv[], char* output, size_t size) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    alarm(5);
    execv(argv[0], argv);
    _exit(127);
  }
  close(fds[1]);
  size_t used = 0;
  for (ssize_t got; used + 1 < size && (got = read(fds[0], output + used, size - used - 1)) > 0;) {
    used += (size_t)got;
  }
  output[used] = '\0';
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

static void probe(const char* dir, const char* name) {
  char path[512];
  char output[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  char* argv[] = {path, NULL};
  int status = run_capture(argv, output, sizeof output);
  unsigned euid = 0, egid = 0;
  unsigned long long caps = 1;
  const char* cap_line = strstr(output, "CapEff:");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      sscanf(output, "EUID=%u EGID=%u", &euid, &egid) != 2 || !cap_line ||
      sscanf(cap_line, "CapEff: %llx", &caps) != 1) {
    note("%s did not run as expected (status %d): %s", path, status, output);
    printf("RESULT FAIL probe %s unusable\n", name);
    exit(2);
  }
  if (euid != getuid() || egid != getgid() || caps != 0) {
    escaped(path, "euid %u egid %u CapEff %llx", euid, egid, caps);
  } else {
    blocked(path, "euid %u egid %u CapEff 0", euid, egid);
  }
}

static void run_host_tool(char* const argv[]) {
  char output[1024];
  int status = run_capture(argv, output, sizeof output);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    escaped(argv[0], "succeeded: %s", output);
  } else {
    blocked(argv[0], "failed (status %d)", status);
  }
}

int main(void) {
  const char* dir = need_env("SEC_SUID_DIR");
  probe(dir, "suid_probe_setuid");
  probe(dir, "suid_probe_setgid");
  probe(dir, "suid_probe_filecaps");
  mkdir("/tmp/m", 0700);
  char* mount_argv[] = {"/bin/mount", "-t", "tmpfs", "none", "/tmp/m", NULL};
  run_host_tool(mount_argv);
  char* su_argv[] = {"/bin/su", "-c", "true", "root", NULL};
  run_host_tool(su_argv);
  return finish();
}
