"""Runs the host's own administration tools the way an LLM agent would: mount, unshare,
nsenter, chroot, ip, hostname, dmesg, sysctl, mknod, setpriv. Each must fail (exit nonzero);
a tool the sandbox does not have cannot be used either, but only real attempts count."""
import os
import subprocess

from hostile import blocked, escaped, finish, note

COMMANDS = [
    ["mount", "-t", "tmpfs", "none", "/tmp/m"],
    ["unshare", "--mount", "true"],
    ["unshare", "--user", "--map-root-user", "--mount", "mount", "-o", "remount,rw", "/usr"],
    ["nsenter", "--target", "1", "--mount", "--net", "true"],
    ["chroot", "/tmp", "/bin/true"],
    ["ip", "link", "add", "agentd-sec0", "type", "dummy"],
    ["ip", "route", "add", "default", "dev", "lo"],
    ["hostname", "agentd-sec-pwned"],
    ["dmesg"],
    ["sysctl", "-w", "kernel.hostname=agentd-sec-pwned"],
    ["mknod", "/tmp/mem", "c", "1", "1"],
    ["setpriv", "--reuid=0", "--regid=0", "--clear-groups", "true"],
]

# Where a tool's exit status is not to be trusted, the effect itself is checked: procps-ng
# 4.0.4's sysctl (Ubuntu 24.04) exits 0 and echoes the value when the write fails.
EFFECTS = {
    "sysctl": lambda: open("/proc/sys/kernel/hostname").read().strip() == "agentd-sec-pwned",
    "hostname": lambda: os.uname().nodename == "agentd-sec-pwned",
}

os.makedirs("/tmp/m", exist_ok=True)
environment = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
for command in COMMANDS:
    what = " ".join(command)
    try:
        run = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=10, env=environment)
    except FileNotFoundError:
        note(f"{command[0]} is not in the sandbox")
        continue
    except subprocess.TimeoutExpired:
        blocked(what, "hung and was stopped")
        continue
    took_effect = EFFECTS.get(command[0], lambda: True)
    if run.returncode == 0 and not took_effect():
        blocked(what, f"exit 0 but nothing changed: {run.stdout.strip()[:120]}")
    elif run.returncode == 0:
        escaped(what, f"exit 0: {run.stdout.strip()[:200]}")
    else:
        blocked(what, f"exit {run.returncode}: {(run.stderr or run.stdout).strip()[:120]}")
finish()
