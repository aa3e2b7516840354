"""Looks for a way out of the network namespace from Python: interfaces, routes, TCP to the
host's loopback listeners (SEC_TCP_PORT, SEC_TCP6_PORT) and UDP to SEC_UDP_PORT, which only
the runner can judge. Every packet goes to a loopback address, never anywhere else."""
import socket

from hostile import attempt, blocked, escaped, finish, need_env, note

with open("/proc/net/dev") as devices:  # netlink may be filtered; /proc/net/dev is not
    names = [line.split(":")[0].strip() for line in devices.read().splitlines()[2:]]
others = [name for name in names if name != "lo"]
if others:
    escaped("network interfaces", f"visible: {', '.join(others)}")
else:
    blocked("network interfaces", "only lo")

with open("/proc/net/route") as routes:
    entries = routes.read().splitlines()[1:]
if entries:
    escaped("IPv4 routes", "; ".join(entries))
else:
    blocked("IPv4 routes", "none")

with open("/proc/net/ipv6_route") as routes:
    ipv6_others = [line for line in routes.read().splitlines() if line.split()[-1] != "lo"]
if ipv6_others:
    escaped("IPv6 routes", "; ".join(ipv6_others))
else:
    blocked("IPv6 routes", "none but lo's")


def tcp(family, address, port):
    def connect():
        with socket.socket(family, socket.SOCK_STREAM) as connection:
            connection.settimeout(3)
            connection.connect((address, port))
    return connect


attempt("TCP to host 127.0.0.1", tcp(socket.AF_INET, "127.0.0.1", int(need_env("SEC_TCP_PORT"))))
attempt("TCP to host ::1", tcp(socket.AF_INET6, "::1", int(need_env("SEC_TCP6_PORT"))))
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagram:
    try:
        datagram.sendto(b"agentd-sec-udp", ("127.0.0.1", int(need_env("SEC_UDP_PORT"))))
        note("UDP datagram sent to 127.0.0.1 (the host side checks whether it arrived)")
    except OSError as error:
        note(f"UDP send failed: {error}")
finish()
