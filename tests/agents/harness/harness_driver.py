"""Runs agentd's harness and candidate server as the daemon does, joined by a socketpair at
fd 4, but as plain processes (no sandboxes), so the harness's own logic is tested quickly.
The sandboxed path is tested by tests/agents/patterns/best_of_n_*_test.cc."""
import json
import os
import secrets
import socket
import subprocess
import tempfile

HARNESS_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "agents", "harness")


def source(*names):
    texts = []
    for name in names:
        with open(os.path.join(HARNESS_DIR, name)) as f:
            texts.append(f.read() + "\n")
    return "".join(texts)


def spawn(argv, end, **kwargs):
    """argv with `end` at fd 4 and nothing else of ours."""
    fd = end.fileno()
    shell = 'exec "$@"' if fd == 4 else 'exec 4<&%d %d<&-; exec "$@"' % (fd, fd)
    return subprocess.Popen(["/bin/sh", "-c", shell, "sh"] + argv, pass_fds=[end.fileno()],
                            **kwargs)


def run(candidate_code, scripts, language="python", probe_calls=None, limit_ms=2000,
        probe_ms=1000, secret=None, occupy_source=False):
    """The harness's report: a list of event dicts (only lines bound to the secret)."""
    secret = secret or secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as workspace:
        if occupy_source:  # the server cannot write solution.<ext>: it ends at once
            os.mkdir(os.path.join(workspace, "solution.py"))
        ours, theirs = socket.socketpair()
        debug = os.environ.get("HARNESS_DEBUG")
        server = spawn(["python3", "-I", "-c", source("candidate_server.py")], theirs,
                       cwd=workspace, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                       stderr=None if debug else subprocess.DEVNULL, start_new_session=True)
        theirs.close()
        server.stdin.write(json.dumps({"language": language, "source": candidate_code}).encode())
        server.stdin.close()
        job = {"secret": secret, "language": language, "prepare_ms": 30000,
               "scripts": [dict(s, time_limit_ms=s.get("time_limit_ms", limit_ms))
                           for s in scripts]}
        if probe_calls:
            job["probe_calls"], job["probe_ms"] = probe_calls, probe_ms
        with tempfile.TemporaryDirectory() as harness_dir:
            harness = spawn(["python3", "-I", "-c", source("wire.py", "probes.py", "harness.py")], ours,
                            cwd=harness_dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
            ours.close()
            out, err = harness.communicate(json.dumps(job).encode(), timeout=120)
        try:
            os.killpg(server.pid, 9)
        except ProcessLookupError:
            pass
        server.wait()
    events = []
    for line in out.decode().splitlines():
        if line.startswith(secret + " "):
            events.append(json.loads(line[len(secret) + 1:]))
    if not events or events[-1].get("event") != "done":
        raise AssertionError("the harness did not finish: %s" % err.decode()[-3000:])
    return events


def cases(events):
    return [e for e in events if e["event"] == "case"]
