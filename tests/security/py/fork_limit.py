"""Forks sleeping children until fork fails; the count must respect the pids limit (argv[1])."""
import os
import signal
import sys

from hostile import blocked, escaped, finish, note, errno_name

limit = int(sys.argv[1])
children = 0
while children < limit * 4 + 64:  # stop before harming a host with no limit
    try:
        pid = os.fork()
    except OSError as error:
        note(f"fork failed after {children} children (+1 for this process)")
        if children + 1 > limit:
            escaped("pids limit", f"{children + 1} processes exceed the limit of {limit}")
        else:
            blocked("fork beyond pids limit",
                    f"{errno_name(error.errno)} after {children + 1} processes")
        finish()
    if pid == 0:
        signal.pause()
        os._exit(0)
    children += 1
escaped("pids limit", f"forked {children} children, no limit hit")
finish()
