"""Host-side context for the cases that need it, and the checks only the host can make.

A fixture prepares something on the host (a listener, a process, a file), hands the program
what it needs through --env and flags, runs the case, then checks the host afterwards.
Multi-sandbox cases live in scenarios.py; make() finds both.
"""
import os
import pty
import secrets
import shutil
import socket
import struct
import subprocess
import tempfile
import tty

import sandbox_session
from host_state import compare_snapshots, read_settings, snapshot_tree


class Unavailable(Exception):
    """The machine lacks what a case needs; the case is skipped, naming what is missing."""


class Fixture:
    """No host context: runs the case's program once with the case's flags."""

    def __init__(self, session, case):
        self.session, self.case = session, case
        self.secret = "agentd-sec-secret-" + secrets.token_hex(12)

    def setup(self):
        pass

    def env(self):
        return {}

    def flags(self):
        return []

    def stdin(self):
        return None

    def pass_fds(self):
        return ()

    def execute(self):
        return self.session.run(
            "main", self.case["program"], args=self.case.get("args", []),
            flags=self.case.get("flags", []) + self.flags(), env=self.env(),
            stdin=self.stdin(), pass_fds=self.pass_fds(), timeout=self.case.get("timeout", 30))

    def check(self):
        return []

    def cleanup(self):
        pass

    def path(self, name):
        return os.path.join(self.session.work_dir, name)

    def output(self):
        result = self.session.runs[0].result or {}
        return result.get("stdout", "") + result.get("stderr", "")


class LoopbackListeners(Fixture):
    """TCP listeners on the host's 127.0.0.1 and ::1 and a UDP socket: none may hear a thing."""

    def setup(self):
        self.tcp = socket.create_server(("127.0.0.1", 0))
        try:
            self.tcp6 = socket.create_server(("::1", 0), family=socket.AF_INET6)
        except OSError as error:
            raise Unavailable(f"no IPv6 loopback on the host ({error})") from error
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        for listener in (self.tcp, self.tcp6, self.udp):
            listener.setblocking(False)

    def env(self):
        return {"SEC_TCP_PORT": self.tcp.getsockname()[1],
                "SEC_TCP6_PORT": self.tcp6.getsockname()[1],
                "SEC_UDP_PORT": self.udp.getsockname()[1]}

    def check(self):
        failures = []
        for name, listener in (("127.0.0.1 TCP", self.tcp), ("::1 TCP", self.tcp6)):
            try:
                connection, peer = listener.accept()
                connection.close()
                failures.append(f"the host's {name} listener accepted a connection from {peer}")
            except BlockingIOError:
                pass
        try:
            data, peer = self.udp.recvfrom(4096)
            failures.append(f"the host's UDP socket received {data!r} from {peer}")
        except BlockingIOError:
            pass
        return failures

    def cleanup(self):
        for listener in (self.tcp, getattr(self, "tcp6", None), getattr(self, "udp", None)):
            if listener:
                listener.close()


class AbstractSocket(Fixture):
    """Abstract unix sockets on the host (stream and datagram): nothing may reach them."""

    def setup(self):
        self.name = f"agentd-sec-{self.session.token}"
        self.stream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.stream.bind("\0" + self.name)
        self.stream.listen(8)
        self.datagram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.datagram.bind("\0" + self.name + "-dgram")
        self.stream.setblocking(False)
        self.datagram.setblocking(False)

    def env(self):
        return {"SEC_ABSTRACT_NAME": self.name}

    def check(self):
        failures = []
        try:
            self.stream.accept()[0].close()
            failures.append(f"the host's abstract socket @{self.name} accepted a connection")
        except BlockingIOError:
            pass
        try:
            data = self.datagram.recv(4096)
            failures.append(f"the host's abstract datagram socket received {data!r}")
        except BlockingIOError:
            pass
        return failures

    def cleanup(self):
        self.stream.close()
        self.datagram.close()


class HostCanaries(Fixture):
    """Secret files planted in the host's /etc (0644), /root (0600) and /tmp (0644)."""

    def setup(self):
        self.name = f"agentd-sec-canary-{self.session.token}"
        self.paths = [f"/etc/{self.name}", f"/root/{self.name}", f"/tmp/{self.name}"]
        for path, mode in zip(self.paths, (0o644, 0o600, 0o644)):
            with open(path, "w") as canary:
                canary.write(self.secret + "\n")
            os.chmod(path, mode)

    def env(self):
        return {"SEC_CANARY_PATHS": ":".join(self.paths), "SEC_CANARY_NAME": self.name}

    def check(self):
        return ["a host canary's secret appears in the sandbox's output"] if (
            self.secret in self.output()) else []

    def cleanup(self):
        for path in getattr(self, "paths", []):
            if os.path.lexists(path):
                os.unlink(path)


class HostSleepers(Fixture):
    """Host processes (as root and as uids of the sandbox range) that must survive the case."""

    UIDS = (0, 100000, 100001, 100002)

    def setup(self):
        self.sleepers = [
            subprocess.Popen(["/bin/sleep", "300"], user=uid, group=uid if uid else None,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            for uid in self.UIDS]

    def env(self):
        return {"SEC_HOST_PIDS": ",".join(str(p.pid) for p in self.sleepers)}

    def check(self):
        return [f"host sleeper pid {p.pid} (uid {uid}) was killed: {p.returncode}"
                for p, uid in zip(self.sleepers, self.UIDS) if p.poll() is not None]

    def cleanup(self):
        for sleeper in getattr(self, "sleepers", []):
            sleeper.kill()
            sleeper.wait()


class TtyStdin(Fixture):
    """agentbox's stdin is a pseudo-terminal: nothing may be injected into it."""

    def setup(self):
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)  # raw mode: any injected byte is readable at once
        os.set_blocking(self.slave, False)
        self.injection = f"agentd-sec-tiocsti-{self.session.token}"

    def env(self):
        return {"SEC_INJECTION": self.injection}

    def stdin(self):
        return self.slave

    def check(self):
        try:
            injected = os.read(self.slave, 4096)
        except BlockingIOError:
            return []
        return [f"bytes were injected into the host terminal: {injected!r}"]

    def cleanup(self):
        os.close(self.master)
        os.close(self.slave)


class InheritedFds(Fixture):
    """agentbox inherits a pipe to the runner, a host file and the host's / as open fds."""

    def setup(self):
        self.read_end, self.write_end = os.pipe()
        with open(self.path("host-file"), "w") as host_file:
            host_file.write(self.secret)
        self.file_fd = os.open(self.path("host-file"), os.O_RDWR)
        self.root_fd = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
        for fd in (self.write_end, self.file_fd, self.root_fd):
            os.set_inheritable(fd, True)

    def pass_fds(self):
        return (self.write_end, self.file_fd, self.root_fd)

    def check(self):
        os.close(self.write_end)
        self.write_end = None
        failures = []
        leaked = os.read(self.read_end, 4096)
        if leaked:
            failures.append(f"the sandbox wrote into the runner's pipe: {leaked!r}")
        with open(self.path("host-file")) as host_file:
            if host_file.read() != self.secret:
                failures.append("the host file behind an inherited fd changed")
        if self.secret in self.output():
            failures.append("the host file's secret appears in the sandbox's output")
        return failures

    def cleanup(self):
        for fd in (self.read_end, self.write_end, self.file_fd, self.root_fd):
            if fd is not None:
                os.close(fd)


class ReadOnlyDir(Fixture):
    """A host directory bound read-only at /ro, holding canary.txt: it must stay unchanged."""

    def setup(self):
        self.directory = self.path("ro")
        os.makedirs(os.path.join(self.directory, "sub"))
        with open(os.path.join(self.directory, "canary.txt"), "w") as canary:
            canary.write(self.secret)
        for path in (self.directory, os.path.join(self.directory, "sub")):
            os.chmod(path, 0o777)  # only the read-only bind may stop writes
        os.chmod(os.path.join(self.directory, "canary.txt"), 0o666)
        self.before = snapshot_tree(self.directory)

    def flags(self):
        return ["--ro-bind", f"{self.directory}:/ro"]

    def env(self):
        return {"SEC_RO_DIR": "/ro"}

    def check(self):
        return compare_snapshots("read-only host directory", self.before,
                                 snapshot_tree(self.directory))


class HostSettings(Fixture):
    """The host's hostname, core_pattern and other settings must be unchanged afterwards."""

    def setup(self):
        self.before = read_settings()

    def env(self):
        return {"SEC_HOST_HOSTNAME": socket.gethostname(), "SEC_TOKEN": self.session.token}

    def check(self):
        after = read_settings()
        return [f"host setting {path} changed from {self.before[path]!r} to {after[path]!r}"
                for path in after if self.before[path] != after[path]]


# security.capability, revision 2, effective: CAP_DAC_READ_SEARCH, CAP_NET_RAW, CAP_SYS_ADMIN.
FILE_CAPS = struct.pack("<IIIII", 0x02000001, (1 << 2) | (1 << 13) | (1 << 21), 0, 0, 0)


def traversable_by_all(path):
    """Whether every directory from / down to `path` lets others through (o+x)."""
    path = os.path.abspath(path)
    while True:
        if not os.stat(path).st_mode & 0o001:
            return False
        if path == "/":
            return True
        path = os.path.dirname(path)


class SetuidDir(Fixture):
    """Setuid-root, setgid-root and file-capability copies of suid_probe, bound at /suid."""

    def setup(self):
        self.directory = self.path("suid")
        self.own_directory = not traversable_by_all(self.session.work_dir)
        if self.own_directory:
            # The probe runs as nobody, who cannot reach a build tree under a 0700 home (/root):
            # use /var/tmp, which (unlike a tmpfs /tmp) is usually not mounted nosuid.
            self.directory = tempfile.mkdtemp(prefix="agentd-sec-suid-", dir="/var/tmp")
        os.makedirs(self.directory, exist_ok=True)
        os.chmod(self.directory, 0o755)
        probe = os.path.join(self.session.bin_dir, "suid_probe")
        for name, mode in (("setuid", 0o4755), ("setgid", 0o2755), ("filecaps", 0o755)):
            target = os.path.join(self.directory, f"suid_probe_{name}")
            shutil.copy(probe, target)
            os.chown(target, 0, 0)
            os.chmod(target, mode)
        os.setxattr(os.path.join(self.directory, "suid_probe_filecaps"), "security.capability",
                    FILE_CAPS)
        self.require_setuid_works()

    def require_setuid_works(self):
        """On the host the setuid copy must really raise an unprivileged user to root, or the
        case would prove nothing (e.g. a nosuid filesystem)."""
        probe = subprocess.run([os.path.join(self.directory, "suid_probe_setuid")], user=65534,
                               capture_output=True, text=True)
        if not probe.stdout.startswith("EUID=0 "):
            raise Unavailable(f"setuid binaries do not work in {self.directory} on this host "
                              f"(probe printed {probe.stdout!r})")

    def cleanup(self):
        if getattr(self, "own_directory", False):
            shutil.rmtree(self.directory, ignore_errors=True)

    def flags(self):
        return ["--ro-bind", f"{self.directory}:/suid"]

    def env(self):
        return {"SEC_SUID_DIR": "/suid"}


class BlockDevice(Fixture):
    """Tells the program the host's first block device (major:minor) to mknod."""

    def env(self):
        with open("/proc/partitions") as partitions:
            rows = [line.split() for line in partitions.read().splitlines()[2:] if line.strip()]
        return {"SEC_HOST_BLOCK_DEV": f"{rows[0][0]}:{rows[0][1]}" if rows else "8:0"}


class CgroupWatch(Fixture):
    """The host must have seen the sandbox in memory and pids cgroups of its own (v1 controllers
    where the host mounts them, else the unified hierarchy), as an unprivileged host uid; the
    common checks then verify those cgroups are removed."""

    def check(self):
        observation = self.session.runs[0].observation
        if not observation.pids:
            return ["the host never saw the sandboxed process (cannot check its cgroups)"]
        v1_controllers = {c for key in sandbox_session.cgroup_mounts() for c in key.split(",")}
        seen = {c for hierarchy in observation.cgroups for c in hierarchy.split(",")}
        failures = []
        for controller in ("memory", "pids"):
            hierarchy = controller if controller in v1_controllers else "unified"
            if hierarchy not in seen:
                failures.append(f"the sandbox was not in a {controller} cgroup of its own in the "
                                f"{hierarchy} hierarchy: {observation.cgroups}")
        if not observation.uids:
            failures.append("the host could not read the sandboxed process's uid")
        return failures


def make(name, session, case):
    import scenarios  # here, not at the top: scenarios imports this module
    registry = {
        None: Fixture, "loopback_listeners": LoopbackListeners, "abstract_socket": AbstractSocket,
        "host_canaries": HostCanaries, "host_sleepers": HostSleepers, "tty_stdin": TtyStdin,
        "inherited_fds": InheritedFds, "ro_dir": ReadOnlyDir, "host_settings": HostSettings,
        "suid_dir": SetuidDir, "block_device": BlockDevice, "cgroup_watch": CgroupWatch,
        **scenarios.REGISTRY,
    }
    if name not in registry:
        raise SystemExit(f"case {case['name']}: unknown fixture {name!r}")
    return registry[name](session, case)
