"""Runs hostile programs through agentbox and watches them from the host.

Each run gets a unique marker in its environment (AGENTD_SEC_MARK), passed with --env. While
agentbox runs, a thread finds the sandboxed processes among agentbox's descendants by that
marker and records their host pid, host uid and cgroups. After the run the session checks
what the program cannot fake: no process with the marker is left anywhere on the host, the
cgroups it lived in are gone, it ran as an unprivileged host uid, and the runner's own secret
environment variable never reached its output.
"""
import json
import os
import secrets
import shlex
import signal
import subprocess
import threading
import time

# Every sandbox runs as an unprivileged host uid leased from this base (agentbox's contract).
SANDBOX_UID_BASE = 100000
RESULT_KEYS = {
    "status": str, "exit_code": int, "signal": int, "wall_ms": int, "cpu_ms": int,
    "peak_memory_bytes": int, "stdout": str, "stderr": str, "stdout_truncated": bool,
    "stderr_truncated": bool, "error": str,
}
HOST_SECRET = "agentd-sec-host-secret-" + secrets.token_hex(12)


def _read(path, mode="r"):
    try:
        with open(path, mode) as stream:
            return stream.read()
    except OSError:
        return b"" if "b" in mode else ""


def _children(pid):
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:  # the process is already gone
        return []
    found = []
    for task in tasks:
        found += [int(child) for child in _read(f"/proc/{pid}/task/{task}/children").split()]
    return found


def _descendants(pid):
    pending, seen = _children(pid), []
    while pending:
        child = pending.pop()
        seen.append(child)
        pending += _children(child)
    return seen


def _has_marker(pid, marker):
    return marker.encode() in _read(f"/proc/{pid}/environ", "rb").split(b"\0")


def processes_with_marker(marker):
    return [int(pid) for pid in os.listdir("/proc") if pid.isdigit() and _has_marker(pid, marker)]


def cgroup_mounts():
    """Maps a /proc/PID/cgroup controller field ('memory', '' for v2) to its mount point."""
    # A v1 mount's options mix controllers with mount flags that differ between hosts
    # (systemd adds nosuid,nodev,noexec): keep the kernel's controllers and name=.
    known = {line.split()[0] for line in _read("/proc/cgroups").splitlines()[1:] if line.strip()}
    mounts = {}
    for line in _read("/proc/self/mounts").splitlines():
        _, target, kind, options = line.split()[:4]
        if kind == "cgroup2":
            mounts.setdefault("", target)
        elif kind == "cgroup":
            names = [o for o in options.split(",") if o in known or o.startswith("name=")]
            mounts[",".join(sorted(names))] = target
    return mounts


def _alive(pid):
    """True while `pid` runs; an exiting task's /proc files show the root cgroup."""
    fields = _read(f"/proc/{pid}/stat").rsplit(")", 1)
    return len(fields) == 2 and fields[1].split()[:1] not in ([], ["Z"], ["X"])


def cgroup_dirs(pid):
    """The host directories of the cgroups `pid` is in, one per hierarchy (roots left out)."""
    mounts, dirs = cgroup_mounts(), {}
    lines = _read(f"/proc/{pid}/cgroup").splitlines()
    if not _alive(pid):
        return {}
    for line in lines:
        _, controllers, path = line.split(":", 2)
        key = ",".join(sorted(controllers.split(","))) if controllers else ""
        if key in mounts and path != "/":
            dirs[controllers or "unified"] = os.path.join(mounts[key], path.lstrip("/"))
    return dirs


def host_uid(pid):
    for line in _read(f"/proc/{pid}/status").splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[2])  # effective uid, as the host sees it
    return None


class Observation:
    """What the host saw of one run's sandboxed processes while it ran."""

    def __init__(self):
        self.pids = []
        self.uids = set()
        self.cgroups = {}  # hierarchy -> host directory


class Run:
    """One agentbox invocation, started in the background; wait() finishes it."""

    def __init__(self, label, command, stdin, pass_fds, timeout):
        self.label, self.command, self.timeout = label, command, timeout
        self.marker = next(a for a in command if a.startswith("AGENTD_SEC_MARK="))
        self.observation = Observation()
        self.result, self.failures, self.returncode = None, [], None
        environment = dict(os.environ, AGENTD_HOST_SECRET=HOST_SECRET)
        self.process = subprocess.Popen(
            command, stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=pass_fds, env=environment)
        self._done = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _watch(self):
        own_cgroups = cgroup_dirs(os.getpid())
        while not self._done.is_set():
            for pid in _descendants(self.process.pid):
                if pid in self.observation.pids or not _has_marker(pid, self.marker):
                    continue
                self.observation.pids.append(pid)
                uid = host_uid(pid)
                if uid is not None:
                    self.observation.uids.add(uid)
                for hierarchy, path in cgroup_dirs(pid).items():
                    if own_cgroups.get(hierarchy) != path:
                        self.observation.cgroups[hierarchy] = path
            time.sleep(0.02)

    def alive(self):
        return self.process.poll() is None

    def wait(self):
        """Waits for agentbox, parses its JSON and runs the host-side checks of every run."""
        try:
            out, err = self.process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
            self.failures.append(f"agentbox did not return within {self.timeout} s")
        self._done.set()
        self._watcher.join()
        self.returncode = self.process.returncode
        self.agentbox_stderr = err.decode(errors="replace")
        self._parse(out.decode(errors="replace"))
        self._check_host()
        return self

    def _parse(self, text):
        try:
            result = json.loads(text)
        except ValueError:
            self.failures.append(f"agentbox stdout is not one JSON object: {text[:500]!r}")
            return
        if not isinstance(result, dict):
            self.failures.append(f"agentbox printed {type(result).__name__}, not an object")
            return
        for key, kind in RESULT_KEYS.items():
            if not isinstance(result.get(key), kind):
                self.failures.append(f"result field {key!r} missing or not {kind.__name__}")
        self.result = result
        expected_rc = 1 if result.get("status") == "setup_error" else 0
        if self.returncode != expected_rc:
            self.failures.append(f"agentbox exited {self.returncode}, expected {expected_rc}")

    def _check_host(self):
        leftovers = self._wait_until(lambda: processes_with_marker(self.marker))
        if leftovers:
            self.failures.append(f"sandbox processes left on the host after the run: {leftovers}")
            for pid in leftovers:  # reported; now keep the machine clean for the next case
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        remaining = self._wait_until(
            lambda: [d for d in self.observation.cgroups.values() if os.path.isdir(d)])
        if remaining:
            self.failures.append(f"sandbox cgroups left on the host: {remaining}")
        for uid in self.observation.uids:
            if uid < SANDBOX_UID_BASE:
                self.failures.append(f"sandboxed process ran as host uid {uid}, expected an "
                                     f"unprivileged uid >= {SANDBOX_UID_BASE}")
        output = (self.result or {}).get("stdout", "") + (self.result or {}).get("stderr", "")
        if HOST_SECRET in output:
            self.failures.append("the runner's AGENTD_HOST_SECRET leaked into the output")

    @staticmethod
    def _wait_until(find, grace_seconds=2.0):
        """Retries `find` for a short grace period; returns what it still finds."""
        deadline = time.monotonic() + grace_seconds
        found = find()
        while found and time.monotonic() < deadline:
            time.sleep(0.1)
            found = find()
        return found

    def describe(self):
        lines = [f"[{self.label}] command: {shlex.join(self.command)}",
                 f"[{self.label}] agentbox exit status: {self.returncode}"]
        if self.agentbox_stderr.strip():
            lines.append(f"[{self.label}] agentbox stderr: {self.agentbox_stderr.strip()[:2000]}")
        if self.result is not None:
            shown = dict(self.result)
            for key in ("stdout", "stderr"):
                if isinstance(shown.get(key), str) and len(shown[key]) > 3000:
                    shown[key] = shown[key][:3000] + f"... ({len(self.result[key])} chars)"
            lines.append(f"[{self.label}] result: {json.dumps(shown, indent=1)}")
        lines.append(f"[{self.label}] host view: pids {self.observation.pids}, "
                     f"uids {sorted(self.observation.uids)}, cgroups {self.observation.cgroups}")
        return "\n".join(lines)


class Session:
    """Builds agentbox command lines for one case and keeps every run for the report."""

    def __init__(self, agentbox, bin_dir, py_dir, work_dir):
        self.agentbox, self.bin_dir, self.py_dir = agentbox, bin_dir, py_dir
        self.work_dir = work_dir
        self.token = secrets.token_hex(6)
        self.runs = []

    def command(self, program, args, flags, env):
        marker = f"AGENTD_SEC_MARK={self.token}-{len(self.runs)}"
        command = [self.agentbox, "run", "--ro-bind", f"{self.bin_dir}:/hostile",
                   "--ro-bind", f"{self.py_dir}:/hostile-py", "--env", marker,
                   "--env", "PYTHONDONTWRITEBYTECODE=1"]
        for key, value in env.items():
            command += ["--env", f"{key}={value}"]
        command += list(flags) + ["--"]
        if program.startswith("py:"):
            command += ["/usr/bin/python3", "-B", f"/hostile-py/{program[3:]}"]
        else:
            command += [f"/hostile/{program}"]
        return command + [str(a) for a in args]

    def start(self, label, program, args=(), flags=(), env=None, stdin=None, pass_fds=(),
              timeout=30):
        command = self.command(program, args, flags, env or {})
        run = Run(label, command, stdin, tuple(pass_fds), timeout)
        self.runs.append(run)
        return run

    def run(self, label, program, **options):
        return self.start(label, program, **options).wait()
