"""Grows a list of 1 MiB byte strings without end; the memory cgroup must OOM-kill it."""
from hostile import escaped, finish, note

note("memory bomb: appending 1 MiB blocks")
blocks = []
for index in range(2048):  # 2 GiB safety cap, far above any limit a case sets
    blocks.append(bytes([index % 256]) * (1 << 20))
escaped("memory limit", "allocated 2 GiB without being stopped")
finish()
