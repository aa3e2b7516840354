// Changes the hostname and domain name (the runner checks the host's are unchanged) and
// checks the sandbox does not show the host's hostname (SEC_HOST_HOSTNAME).
#include <fcntl.h>
#include <sys/utsname.h>

#include "tests/security/c/file_writes.h"

int main(void) {
  const char* host_hostname = need_env("SEC_HOST_HOSTNAME");
  char name[128];
  snprintf(name, sizeof name, "agentd-sec-%s", need_env("SEC_TOKEN"));
  struct utsname uts;
  uname(&uts);
  if (strcmp(uts.nodename, host_hostname) == 0) {
    escaped("hostname", "the host's hostname %s is visible", uts.nodename);
  } else {
    blocked("see the host's hostname", "sandbox shows %s", uts.nodename);
  }
  ATTEMPT_PERM("sethostname", sethostname(name, strlen(name)));
  ATTEMPT_PERM("setdomainname", setdomainname(name, strlen(name)));
  ATTEMPT_ERR("write /proc/sys/kernel/hostname", write_text("/proc/sys/kernel/hostname", name));
  return finish();
}
