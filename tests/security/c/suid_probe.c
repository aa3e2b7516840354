// Helper for setuid_exec.c, not a case: prints the credentials it runs with. The runner
// installs copies setuid-root, setgid-root and with file capabilities.
#include "tests/security/c/hostile.h"

static void print_status_line(const char* key) {
  FILE* status = fopen("/proc/self/status", "r");
  char line[256];
  while (status && fgets(line, sizeof line, status)) {
    if (strncmp(line, key, strlen(key)) == 0) printf("%s", line);
  }
  if (status) fclose(status);
}

int main(void) {
  printf("EUID=%u EGID=%u\n", geteuid(), getegid());
  print_status_line("CapEff:");
  return 0;
}
