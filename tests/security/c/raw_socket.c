// Opens raw and packet sockets and tries to reconfigure the network over netlink. argv[1]
// "all" also tries AF_VSOCK (denied by the default profile; a plain kernel allows it).
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include "tests/security/c/hostile.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

// Asks the kernel to add 10.255.255.1/32 to lo (inside the sandbox's own network namespace;
// no packet is sent). 0 if the kernel accepted it, else the errno it answered.
static int netlink_add_address(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return errno;
  struct {
    struct nlmsghdr header;
    struct ifaddrmsg address;
    struct rtattr attribute;
    unsigned char ipv4[4];
  } request;
  memset(&request, 0, sizeof request);
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = RTM_NEWADDR;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE;
  request.address.ifa_family = AF_INET;
  request.address.ifa_prefixlen = 32;
  request.address.ifa_index = if_nametoindex("lo");
  request.attribute.rta_type = IFA_LOCAL;
  request.attribute.rta_len = RTA_LENGTH(4);
  memcpy(request.ipv4, (unsigned char[]){10, 255, 255, 1}, 4);
  if (send(fd, &request, sizeof request, 0) < 0) return errno;
  char reply[4096];
  ssize_t got = recv(fd, reply, sizeof reply, 0);
  if (got < (ssize_t)(sizeof(struct nlmsghdr) + sizeof(int))) return EIO;
  struct nlmsghdr* answer = (struct nlmsghdr*)reply;
  if (answer->nlmsg_type != NLMSG_ERROR) return EIO;
  int error = ((struct nlmsgerr*)NLMSG_DATA(answer))->error;
  return -error;
}

int main(int argc, char** argv) {
  const int all = argc < 2 || strcmp(argv[1], "all") == 0;
  ATTEMPT("raw IPv4 ICMP socket", socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  ATTEMPT("raw IPv4 IPPROTO_RAW socket", socket(AF_INET, SOCK_RAW, IPPROTO_RAW));
  ATTEMPT("raw IPv6 socket", socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6));
  ATTEMPT("packet socket SOCK_RAW", socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)));
  ATTEMPT("packet socket SOCK_DGRAM", socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL)));
  ATTEMPT("SOCK_PACKET socket", socket(AF_INET, SOCK_PACKET, htons(ETH_P_ALL)));
  ATTEMPT_ERR("netlink add address", netlink_add_address());
  if (all) ATTEMPT("AF_VSOCK socket", socket(AF_VSOCK, SOCK_STREAM, 0));
  return finish();
}
