"""Opens files until the fd limit stops it (at most argv[1]), then tries to raise the limit."""
import os
import resource
import sys

from hostile import attempt, blocked, errno_name, escaped, finish

most = int(sys.argv[1])
held = []
reason = "no error"
try:
    while len(held) < 1 << 20:
        held.append(os.open("/dev/null", os.O_RDONLY))
except OSError as error:
    reason = errno_name(error.errno)
count = len(held) + 3
if count > most:
    escaped("fd exhaustion", f"opened {count} fds, limit is {most}")
else:
    blocked("fd exhaustion", f"{reason} after {count} fds")
for fd in held:
    os.close(fd)
attempt("raise RLIMIT_NOFILE",
        lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1 << 20, 1 << 20)))
finish()
