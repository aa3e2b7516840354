"""Shared harness for the hostile Python programs (same output protocol as c/hostile.h).

Lines: BLOCKED <attempt>: <why> | ESCAPED <attempt>: <detail> | NOTE <text>, then
RESULT PASS/FAIL. Each attempt runs in a forked child so that a seccomp kill or a hang
blocks only that attempt.
"""
import ctypes
import errno
import os
import signal
import sys

_counts = {"blocked": 0, "escaped": 0}


def _say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def blocked(what, why):
    _counts["blocked"] += 1
    _say(f"BLOCKED {what}: {why}")


def escaped(what, detail):
    _counts["escaped"] += 1
    _say(f"ESCAPED {what}: {detail}")


def note(text):
    _say(f"NOTE {text}")


def finish():
    """Prints the RESULT line and exits 0 only when every attempt was blocked."""
    if _counts["escaped"]:
        _say(f"RESULT FAIL {_counts['escaped']} escaped")
        sys.exit(1)
    if not _counts["blocked"]:
        _say("RESULT FAIL nothing was attempted")
        sys.exit(1)
    _say(f"RESULT PASS {_counts['blocked']} blocked")
    sys.exit(0)


def need_env(name):
    value = os.environ.get(name)
    if not value:
        _say(f"RESULT FAIL environment variable {name} not set by the runner")
        sys.exit(2)
    return value


def errno_name(number):
    return errno.errorcode.get(number, f"errno {number}")


def attempt(what, action):
    """Runs action() in a child: returning means the attack worked, raising OSError blocks."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        signal.alarm(10)
        try:
            detail = action()
            message = f"ok {detail if detail is not None else 'call succeeded'}"
        except OSError as error:
            message = f"err {errno_name(error.errno) if error.errno else str(error)}"
        except Exception as error:  # noqa: BLE001 - any other failure still blocks the attack
            message = f"err {type(error).__name__}: {error}"
        os.write(write_end, message.encode()[:4000])
        os._exit(0)
    os.close(write_end)
    report = os.read(read_end, 4096).decode(errors="replace")
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if not report:
        if os.WIFSIGNALED(status):
            blocked(what, f"killed by {signal.Signals(os.WTERMSIG(status)).name}")
        else:
            blocked(what, f"attempt died without reporting (status {status})")
    elif report.startswith("ok "):
        escaped(what, report[3:])
    else:
        blocked(what, report[4:])


_libc = ctypes.CDLL(None, use_errno=True)


def libc_call(name, *args):
    """Calls a libc function; raises OSError with its errno when it returns -1."""
    result = getattr(_libc, name)(*args)
    if result == -1:
        number = ctypes.get_errno()
        raise OSError(number, os.strerror(number))
    return result
