// Writes kernel settings through /proc: each file gets back the value just read from it, so
// even a broken sandbox changes nothing; the write succeeding is the escape. The runner also
// compares the host's values before and after.
#include <fcntl.h>

#include "tests/security/c/file_writes.h"

int main(void) {
  const char* settings[] = {
      "/proc/sys/kernel/core_pattern",      "/proc/sys/kernel/modprobe",
      "/proc/sys/kernel/hostname",          "/proc/sys/kernel/domainname",
      "/proc/sys/kernel/randomize_va_space", "/proc/sys/kernel/panic",
      "/proc/sys/vm/overcommit_memory",     "/proc/sys/fs/protected_symlinks",
      "/proc/sys/net/ipv4/ip_forward",      "/proc/sys/net/core/somaxconn",
      "/proc/sys/user/max_user_namespaces",
  };
  for (size_t i = 0; i < sizeof settings / sizeof *settings; i++) {
    char what[128];
    snprintf(what, sizeof what, "write back %s", settings[i]);
    ATTEMPT_ERR(what, write_back(settings[i]));
  }
  // 'h' only prints the SysRq help to the kernel log, should the write ever get through.
  ATTEMPT_ERR("write /proc/sysrq-trigger", write_text("/proc/sysrq-trigger", "h"));
  ATTEMPT_ERR("lower own oom_score_adj", write_text("/proc/self/oom_score_adj", "-1000"));
  ATTEMPT_ERR("rewrite own uid_map", write_text("/proc/self/uid_map", "0 0 1"));
  return finish();
}
