"""Hunts for host secrets from Python: walks the whole visible file tree for the canaries the
runner planted in the host's /etc, /root and /tmp (named SEC_CANARY_NAME), reads /etc/shadow,
and searches every visible process's environment for the runner's AGENTD_HOST_SECRET."""
import glob
import os

from hostile import attempt, blocked, escaped, finish, need_env

canary_name = need_env("SEC_CANARY_NAME")
found = []
for root, directories, files in os.walk("/", followlinks=False):
    if root in ("/proc", "/sys"):
        directories[:] = []
        continue
    found += [os.path.join(root, name) for name in files if name.startswith(canary_name)]
for path in found:
    with open(path, errors="replace") as canary:
        escaped("host canary visible", f"{path}: {canary.read(100)}")
if not found:
    blocked("walk the file tree for host canaries", "none visible")

for path in need_env("SEC_CANARY_PATHS").split(":"):
    for prefix in ("", "/proc/1/root", "/proc/self/root"):
        attempt(f"read {prefix}{path}", lambda p=prefix + path: open(p).read(100))


def read_shadow():
    with open("/etc/shadow") as shadow:
        return shadow.read(100)


attempt("read /etc/shadow", read_shadow)
attempt("list /root", lambda: os.listdir("/root") or (_ for _ in ()).throw(OSError(2, "empty")))

leaks = []
for path in glob.glob("/proc/[0-9]*/environ"):
    try:
        with open(path, "rb") as environment:
            if b"AGENTD_HOST_SECRET=" in environment.read():
                leaks.append(path)
    except OSError:
        pass
if leaks or "AGENTD_HOST_SECRET" in os.environ:
    escaped("host environment", f"AGENTD_HOST_SECRET visible in {leaks or 'os.environ'}")
else:
    blocked("host environment", "AGENTD_HOST_SECRET in no visible process")
finish()
