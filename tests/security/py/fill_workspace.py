"""Fills a directory (argv[1]) with 1 MiB files until it refuses, by argv[2] MiB at most."""
import os
import sys

from hostile import blocked, errno_name, escaped, finish

directory, most = sys.argv[1], int(sys.argv[2])
block = b"W" * (1 << 20)
for mib in range(most + 2):
    try:
        with open(os.path.join(directory, f"fill-{mib}"), "wb") as out:
            out.write(block)
    except OSError as error:
        blocked("fill filesystem", f"{errno_name(error.errno)} after {mib} MiB in {directory}")
        finish()
escaped("fill filesystem", f"wrote more than {most} MiB into {directory}")
finish()
