// Connects to the host's abstract unix sockets (the runner listens on SEC_ABSTRACT_NAME, as a
// stream and a datagram socket): abstract names belong to the network namespace, so a fresh
// one must not reach them. Also tries well-known filesystem sockets of host daemons.
#include <sys/socket.h>
#include <stddef.h>
#include <sys/un.h>

#include "tests/security/c/hostile.h"

static socklen_t unix_address(struct sockaddr_un* address, const char* name, int abstract) {
  memset(address, 0, sizeof *address);
  address->sun_family = AF_UNIX;
  size_t offset = abstract ? 1 : 0;  // abstract names start with a NUL byte
  size_t length = strlen(name);
  memcpy(address->sun_path + offset, name, length);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + offset + length);
}

static int unix_connect(const char* name, int abstract) {
  struct sockaddr_un address;
  socklen_t length = unix_address(&address, name, abstract);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return errno;
  int err = connect(fd, (struct sockaddr*)&address, length) == 0 ? 0 : errno;
  close(fd);
  return err;
}

static int unix_send_datagram(const char* name) {
  struct sockaddr_un address;
  socklen_t length = unix_address(&address, name, 1);
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0) return errno;
  int err = sendto(fd, "agentd-sec", 10, 0, (struct sockaddr*)&address, length) < 0 ? errno : 0;
  close(fd);
  return err;
}

// /proc/net/unix lists the namespace's sockets; the host's must not be among them.
static void check_listing(const char* name) {
  FILE* listing = fopen("/proc/net/unix", "r");
  if (!listing) {
    blocked("list unix sockets", "/proc/net/unix: %s", errno_name(errno));
    return;
  }
  char line[1024];
  int seen = 0;
  while (fgets(line, sizeof line, listing)) {
    if (strstr(line, name)) seen = 1;
  }
  fclose(listing);
  if (seen) {
    escaped("list unix sockets", "host socket @%s is listed", name);
  } else {
    blocked("list unix sockets", "host socket not listed");
  }
}

int main(void) {
  const char* name = need_env("SEC_ABSTRACT_NAME");
  char dgram_name[256];
  snprintf(dgram_name, sizeof dgram_name, "%s-dgram", name);
  check_listing(name);
  ATTEMPT_ERR("connect host abstract stream socket", unix_connect(name, 1));
  ATTEMPT_ERR("send to host abstract datagram socket", unix_send_datagram(dgram_name));
  const char* daemon_sockets[] = {"/run/systemd/private", "/run/dbus/system_bus_socket",
                                  "/var/run/docker.sock", "/run/containerd/containerd.sock"};
  for (size_t i = 0; i < sizeof daemon_sockets / sizeof *daemon_sockets; i++) {
    char what[128];
    snprintf(what, sizeof what, "connect %s", daemon_sockets[i]);
    ATTEMPT_ERR(what, unix_connect(daemon_sockets[i], 0));
  }
  return finish();
}
