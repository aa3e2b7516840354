"""What LLM-written Python reaches for through ctypes: mount, unshare, setns, ptrace, keyctl,
chroot and sethostname straight from libc. Every call must fail."""
import ctypes
import os

from hostile import attempt, finish, libc_call

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
MS_BIND, MS_REMOUNT = 4096, 32
PTRACE_TRACEME = 0
SYS_keyctl = 250
KEYCTL_JOIN_SESSION_KEYRING = 1

os.makedirs("/tmp/m", exist_ok=True)
b = ctypes.c_char_p
attempt("mount tmpfs", lambda: libc_call("mount", b(b"none"), b(b"/tmp/m"), b(b"tmpfs"), 0, None))
attempt("remount /usr read-write",
        lambda: libc_call("mount", None, b(b"/usr"), None, MS_REMOUNT | MS_BIND, None))
attempt("unshare user", lambda: libc_call("unshare", CLONE_NEWUSER))
attempt("unshare mount+net", lambda: libc_call("unshare", CLONE_NEWNS | CLONE_NEWNET))


def join_own_net():
    fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    libc_call("setns", fd, 0)


attempt("setns own net", join_own_net)
attempt("ptrace TRACEME", lambda: libc_call("ptrace", PTRACE_TRACEME, 0, None, None))
attempt("keyctl join session keyring",
        lambda: libc_call("syscall", SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, b(b"agentd-sec")))
attempt("chroot /tmp", lambda: os.chroot("/tmp"))
attempt("sethostname", lambda: libc_call("sethostname", b(b"agentd-sec-pwned"), 16))
finish()
