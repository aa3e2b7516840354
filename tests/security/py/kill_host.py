"""Kills the host processes whose pids the runner passes (SEC_HOST_PIDS); the runner checks
them alive afterwards."""
import os
import signal

from hostile import attempt, finish, need_env, note

for pid in (int(text) for text in need_env("SEC_HOST_PIDS").split(",")):
    if pid <= 1:
        continue  # a process group of -1 would mean "every process"
    attempt(f"kill host pid {pid}", lambda p=pid: os.kill(p, signal.SIGKILL))
    attempt(f"kill process group {pid}", lambda p=pid: os.killpg(p, signal.SIGKILL))
    attempt(f"pidfd_open host pid {pid}", lambda p=pid: os.pidfd_open(p))
try:
    os.kill(-1, signal.SIGKILL)
    note("kill(-1) delivered (only the sandbox's own processes may be hit)")
except OSError as error:
    note(f"kill(-1): {error}")
finish()
