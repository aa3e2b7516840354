// Looks for a way out of the network namespace: interfaces other than lo, routes, and TCP to
// the host's loopback, where the runner listens (SEC_TCP_PORT, SEC_TCP6_PORT). It also sends
// a UDP datagram to the runner's host port (SEC_UDP_PORT); only the host side can judge that
// one. Every packet goes to a loopback address, never anywhere else.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tests/security/c/hostile.h"

// /proc/net/dev lists every interface of the namespace (netlink may be filtered; this is not).
static void check_interfaces(void) {
  FILE* devices = fopen("/proc/net/dev", "r");
  if (!devices) {
    blocked("network interfaces", "/proc/net/dev: %s", errno_name(errno));
    return;
  }
  char line[512];
  int others = 0;
  for (int number = 0; fgets(line, sizeof line, devices); number++) {
    char name[64];
    if (number < 2 || sscanf(line, " %63[^:]:", name) != 1) continue;  // two header lines
    if (strcmp(name, "lo") != 0) {
      escaped("network interface", "%s is visible", name);
      others++;
    }
  }
  fclose(devices);
  if (!others) blocked("network interfaces", "only lo");
}

// IPv6 routes name their device last; any device but lo is a way out.
static void check_ipv6_routes(void) {
  FILE* routes = fopen("/proc/net/ipv6_route", "r");
  char line[512];
  int others = 0;
  while (routes && fgets(line, sizeof line, routes)) {
    line[strcspn(line, "\n")] = '\0';
    char* device = strrchr(line, ' ');
    if (device && strcmp(device + 1, "lo") != 0) {
      escaped("IPv6 route", "%s", line);
      others++;
    }
  }
  if (routes) fclose(routes);
  if (!others) blocked("IPv6 routes", "none but lo's");
}

// /proc/net/route lists IPv4 routes after a header line; a fresh namespace has none.
static void check_ipv4_routes(void) {
  FILE* routes = fopen("/proc/net/route", "r");
  if (!routes) {
    blocked("IPv4 routes", "/proc/net/route: %s", errno_name(errno));
    return;
  }
  char line[512];
  int count = 0;
  while (fgets(line, sizeof line, routes)) {
    if (count++ > 0) escaped("IPv4 route", "%s", strtok(line, "\n"));
  }
  fclose(routes);
  if (count <= 1) blocked("IPv4 routes", "none");
}

static int tcp_connect(int family, const char* address, int port) {
  struct sockaddr_storage storage;
  memset(&storage, 0, sizeof storage);
  socklen_t length;
  if (family == AF_INET) {
    struct sockaddr_in* in = (struct sockaddr_in*)&storage;
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    inet_pton(AF_INET, address, &in->sin_addr);
    length = sizeof *in;
  } else {
    struct sockaddr_in6* in6 = (struct sockaddr_in6*)&storage;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    inet_pton(AF_INET6, address, &in6->sin6_addr);
    length = sizeof *in6;
  }
  int fd = socket(family, SOCK_STREAM, 0);
  if (fd < 0) return errno;
  int err = connect(fd, (struct sockaddr*)&storage, length) == 0 ? 0 : errno;
  close(fd);
  return err;
}

static void send_udp(int port) {
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return;
  ssize_t sent = sendto(fd, "agentd-sec-udp", 14, 0, (struct sockaddr*)&to, sizeof to);
  note("UDP to 127.0.0.1:%d: %s (the host side checks whether it arrived)", port,
       sent < 0 ? errno_name(errno) : "sent");
  close(fd);
}

int main(void) {
  const int tcp_port = atoi(need_env("SEC_TCP_PORT"));
  const int tcp6_port = atoi(need_env("SEC_TCP6_PORT"));
  const int udp_port = atoi(need_env("SEC_UDP_PORT"));
  check_interfaces();
  check_ipv4_routes();
  check_ipv6_routes();
  ATTEMPT_ERR("TCP to host 127.0.0.1", tcp_connect(AF_INET, "127.0.0.1", tcp_port));
  ATTEMPT_ERR("TCP to host ::1", tcp_connect(AF_INET6, "::1", tcp6_port));
  send_udp(udp_port);
  return finish();
}
