// Planted symlinks, in two runs over the same host workspace directory.
// "plant": leaves symlinks in /workspace pointing at a host directory (SEC_HOST_DIR, absolute
// and through ".."), at a host file, at /etc, plus a FIFO (a trap for a naive host reader).
// "follow": run again with mounts whose targets are those symlinks (see cases.json); it writes
// through every link. Only the host side can judge this case: the runner checks that the host
// directory and file the links name were neither created, changed nor mounted over.
#include <fcntl.h>
#include <sys/stat.h>

#include "tests/security/c/hostile.h"

static void plant(const char* host_dir) {
  char target[4096];
  snprintf(target, sizeof target, "%s", host_dir);
  int err = symlink(target, "/workspace/escape") ? errno : 0;
  snprintf(target, sizeof target, "../../../../../../../../../..%s", host_dir);
  err = err ?: (symlink(target, "/workspace/rel") ? errno : 0);
  snprintf(target, sizeof target, "%s/canary.txt", host_dir);
  err = err ?: (symlink(target, "/workspace/victim_link") ? errno : 0);
  err = err ?: (symlink("/etc", "/workspace/etc_link") ? errno : 0);
  err = err ?: (mkfifo("/workspace/fifo", 0666) ? errno : 0);
  if (err) {
    printf("RESULT FAIL planting: %s\n", errno_name(err));
    exit(2);
  }
  note("planted escape, rel, victim_link, etc_link and fifo in /workspace");
  // Inside the sandbox the host directory does not exist, so these must fail.
  ATTEMPT("write through escape", open("/workspace/escape/pwned", O_WRONLY | O_CREAT, 0644));
  ATTEMPT("write through rel", open("/workspace/rel/pwned", O_WRONLY | O_CREAT, 0644));
  ATTEMPT("write through victim_link", open("/workspace/victim_link", O_WRONLY | O_TRUNC));
}

static void write_through(const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    blocked(path, "%s", errno_name(errno));
    return;
  }
  ssize_t written = write(fd, "agentd-sec-pwned\n", 17);
  close(fd);
  note("wrote %zd bytes to %s (inside the sandbox; the host side decides)", written, path);
}

static void follow(void) {
  write_through("/workspace/escape/sub/pwned");
  write_through("/workspace/rel/sub/pwned");
  write_through("/workspace/escape/pwned");
  write_through("/workspace/victim_link");
  write_through("/workspace/etc_link/agentd-sec-pwned");
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  if (strcmp(argv[1], "plant") == 0) {
    plant(need_env("SEC_HOST_DIR"));
  } else {
    follow();
  }
  return finish();
}
