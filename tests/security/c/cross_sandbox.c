// Attacks the files of another sandbox running at the same time. The runner binds the
// victim's workspace read-write at SEC_VICTIM_DIR (a sticky, world-writable host directory),
// so only the per-sandbox host uid protects the victim's 0600 files and 0700 directory.
// The program also leaves a file of its own there: the runner compares the owners' host uids.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "tests/security/c/hostile.h"

static int read_file(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return errno;
  char buffer[256];
  ssize_t got = read(fd, buffer, sizeof buffer - 1);
  close(fd);
  if (got < 0) return errno;
  buffer[got] = '\0';
  printf("READ %s: %s\n", path, buffer);
  return 0;
}

static void attack(const char* dir, const char* name, const char* token) {
  char path[1024];
  char other[1100];
  char what[1200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
#define ON(verb) (snprintf(what, sizeof what, "%s %s", verb, path), what)
  ATTEMPT_ERR(ON("read"), read_file(path));
  ATTEMPT(ON("open for writing"), open(path, O_WRONLY));
  ATTEMPT(ON("open for append"), open(path, O_WRONLY | O_APPEND));
  ATTEMPT(ON("truncate"), truncate(path, 0));
  ATTEMPT(ON("chmod"), chmod(path, 0666));
  ATTEMPT(ON("chown"), chown(path, getuid(), getgid()));
  ATTEMPT(ON("unlink"), unlink(path));
  snprintf(other, sizeof other, "%s/stolen-%s", dir, token);
  ATTEMPT(ON("rename"), rename(path, other));
  ATTEMPT(ON("utimensat"), utimensat(AT_FDCWD, path, NULL, 0));
  ATTEMPT(ON("setxattr"), setxattr(path, "user.pwned", "1", 1, 0));
#undef ON
}

int main(void) {
  const char* victim_dir = need_env("SEC_VICTIM_DIR");
  const char* token = need_env("SEC_TOKEN");
  char path[1024];
  snprintf(path, sizeof path, "%s/attacker-%s", victim_dir, token);
  int own = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (own < 0) note("could not create %s: %s", path, errno_name(errno));
  close(own);
  attack(victim_dir, "secret", token);
  attack(victim_dir, "private/secret", token);
  snprintf(path, sizeof path, "%s/private/planted", victim_dir);
  ATTEMPT("create in the victim's private directory", open(path, O_WRONLY | O_CREAT, 0644));
  snprintf(path, sizeof path, "%s/private", victim_dir);
  ATTEMPT("chmod the victim's private directory", chmod(path, 0777));
  return finish();
}
