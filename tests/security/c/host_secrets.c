// Reads what belongs to the host: /etc/shadow, /root, the canary files the runner planted in
// the host's /etc, /root and /tmp (SEC_CANARY_PATHS, colon-separated), reached directly and
// through /proc/1/root, /proc/self/root and "..". Also looks for the runner's own environment
// (AGENTD_HOST_SECRET, set for agentbox but never passed in) in every visible process, and
// for kernel addresses in /proc/kallsyms. Whatever it manages to read it prints, so the
// runner can also find a leaked secret in the output.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "tests/security/c/hostile.h"

// 0 if `path` could be opened and read (its start is printed), else the errno.
static int read_and_show(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return errno;
  char buffer[128];
  ssize_t got = read(fd, buffer, sizeof buffer - 1);
  close(fd);
  if (got < 0) return errno;
  buffer[got] = '\0';
  for (ssize_t i = 0; i < got; i++) {
    if (buffer[i] == '\n' || buffer[i] == '\0') buffer[i] = ' ';
  }
  printf("READ %s: %s\n", path, buffer);
  return 0;
}

static int list_directory(const char* path) {
  DIR* dir = opendir(path);
  if (!dir) return errno;
  int entries = 0;
  for (struct dirent* entry; (entry = readdir(dir));) {
    if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..")) entries++;
  }
  closedir(dir);
  return entries > 0 ? 0 : ENOENT;  // an empty placeholder directory holds no secret
}

static void try_path_variants(const char* host_path) {
  char path[4096];
  char what[4200];
  const char* prefixes[] = {"", "/proc/1/root", "/proc/self/root", "/../../../.."};
  for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
    snprintf(path, sizeof path, "%s%s", prefixes[i], host_path);
    snprintf(what, sizeof what, "read %s", path);
    ATTEMPT_ERR(what, read_and_show(path));
  }
}

// Scans /proc/<pid>/environ of every visible process for the host's variable name.
static void check_environments(void) {
  DIR* proc = opendir("/proc");
  int found = 0;
  for (struct dirent* entry; proc && (entry = readdir(proc));) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    char path[300];
    char environment[65536];
    snprintf(path, sizeof path, "/proc/%s/environ", entry->d_name);
    int fd = open(path, O_RDONLY);
    if (fd < 0) continue;
    ssize_t got = read(fd, environment, sizeof environment - 1);
    close(fd);
    for (ssize_t at = 0; at < got; at += (ssize_t)strlen(environment + at) + 1) {
      environment[got] = '\0';
      if (strncmp(environment + at, "AGENTD_HOST_SECRET=", 19) == 0) {
        escaped("host environment", "pid %s has %s", entry->d_name, environment + at);
        found = 1;
      }
    }
  }
  if (proc) closedir(proc);
  if (!found) blocked("host environment", "AGENTD_HOST_SECRET in no visible process");
}

static void check_kallsyms(void) {
  FILE* symbols = fopen("/proc/kallsyms", "r");
  unsigned long long address = 0;
  if (!symbols || fscanf(symbols, "%llx", &address) != 1) {
    blocked("kernel addresses", "/proc/kallsyms unreadable");
  } else if (address != 0) {
    escaped("kernel addresses", "/proc/kallsyms shows %llx (KASLR leak)", address);
  } else {
    blocked("kernel addresses", "/proc/kallsyms shows zeros");
  }
  if (symbols) fclose(symbols);
}

static void check_root_is_root(void) {
  struct stat root;
  struct stat above;
  if (stat("/", &root) == 0 && stat("/..", &above) == 0 &&
      (root.st_ino != above.st_ino || root.st_dev != above.st_dev)) {
    escaped("..", "/.. is not / (inode %lu vs %lu)", above.st_ino, root.st_ino);
  } else {
    blocked("..", "/.. is /");
  }
}

int main(void) {
  char canaries[4096];
  snprintf(canaries, sizeof canaries, "%s", need_env("SEC_CANARY_PATHS"));
  for (char* path = strtok(canaries, ":"); path; path = strtok(NULL, ":")) {
    try_path_variants(path);
  }
  const char* secrets[] = {"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/root/.ssh/id_rsa",
                           "/root/.bash_history", "/proc/kcore", "/proc/kmsg"};
  for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
    char what[128];
    snprintf(what, sizeof what, "read %s", secrets[i]);
    ATTEMPT_ERR(what, read_and_show(secrets[i]));
  }
  ATTEMPT_ERR("list /root", list_directory("/root"));
  ATTEMPT_ERR("list /home", list_directory("/home"));
  check_environments();
  check_kallsyms();
  check_root_is_root();
  return finish();
}
