"""Looks for a way out of the network namespace from Python: interfaces, routes, TCP to the
host's loopback listeners (SEC_TCP_PORT, SEC_TCP6_PORT) and UDP to SEC_UDP_PORT, which only
the runner can judge. Every packet goes to a loopback address, never anywhere else."""
import socket

from hostile import attempt, blocked, escaped, finish, need_env, note

others = [name for _, name in socket.if_nameindex() if name != "lo"]
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
