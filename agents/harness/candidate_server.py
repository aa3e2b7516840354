# agentd's candidate server. It runs inside the candidate's own sandbox, beside the candidate
# (solution.<ext> in the working directory), and decides nothing: the harness, in another
# sandbox, sends requests over the channel (fd 4) and judges the plain data that comes back.
#
# Each test gets a fresh worker process: for a Python candidate, forked from this server before
# the candidate is imported; for a program run, the program itself. A worker that hangs, crashes,
# exits or prints too much is killed (its process group) and its test fails; the server goes on
# with the next request. Candidate code can reach this process too (same user, same sandbox),
# so a hostile candidate can at worst break its own later tests, never pass one.
#
# Input (stdin, JSON): {language: python|bash|node|c|cpp, source}: the candidate, written to
# solution.<ext> in the working directory (its workspace) before anything runs.
import binascii
import importlib
import json
import math
import os
import resource
import select
import signal
import sys

CHANNEL = 4
OUTPUT_CAP = 1 << 20  # bytes a worker or program may print per request
FILES_CAP = 1 << 20  # bytes of files a program run may hand back
SOURCES = {"python": "solution.py", "bash": "solution.sh", "node": "solution.js",
           "c": "solution.c", "cpp": "solution.cc"}
WORKSPACE = os.getcwd()
LANGUAGE = SOURCE = None  # set from the input by main()


def send(fd, message):
    data = (json.dumps(message, separators=(",", ":")) + "\n").encode()
    while data:
        data = data[os.write(fd, data):]


# --- the worker: imports the candidate and answers calls as plain data ---------------------

PLAIN = (bool, int, float, str, bytes, list, tuple, dict, set, frozenset, type(None))


def encode(value, objects, depth=0):
    """Plain data as the harness reads it; anything else stays here and goes as a handle."""
    if depth > 100:
        raise ValueError("nested deeper than 100 levels")
    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        value = float(value)
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": binascii.b2a_base64(bytes(value), newline=False).decode()}
    if isinstance(value, list):
        return [encode(v, objects, depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [encode(v, objects, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[encode(k, objects, depth + 1), encode(v, objects, depth + 1)]
                         for k, v in value.items()]}
    if isinstance(value, frozenset):
        return {"frozenset": [encode(v, objects, depth + 1) for v in value]}
    if isinstance(value, set):
        return {"set": [encode(v, objects, depth + 1) for v in value]}
    if isinstance(value, complex):
        return {"complex": [encode(value.real, objects), encode(value.imag, objects)]}
    objects.append(value)
    return {"ref": len(objects) - 1}


def decode(value, objects):
    if isinstance(value, list):
        return [decode(v, objects) for v in value]
    if not isinstance(value, dict):
        return value
    (tag, body), = value.items()
    if tag == "ref":
        return objects[body]
    if tag == "float":
        return float(body)
    if tag == "bytes":
        return binascii.a2b_base64(body.encode())
    if tag == "complex":
        return complex(*body)
    if tag == "dict":
        return {decode(k, objects): decode(v, objects) for k, v in body}
    items = [decode(v, objects) for v in body]
    return {"tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)


def describe(value, objects):
    if isinstance(value, type):
        return {"class": True}
    if callable(value) and not hasattr(value, "__len__"):
        return {"function": True}
    return {"value": encode(value, objects)}


def answer(request, module, objects):
    op = request["op"]
    target = module if request.get("ref") is None else objects[request["ref"]]
    for name in request.get("path", []):
        target = getattr(target, name)
    if op == "get":
        return describe(target, objects)
    if op == "names":
        names = getattr(target, "__all__", None)
        if names is None:
            names = [n for n in dir(target) if not n.startswith("_")]
        return {"value": [str(n) for n in names]}
    if op == "call":
        args = decode(request.get("args", []), objects)
        kwargs = {k: decode(v, objects) for k, v in request.get("kwargs", {}).items()}
        return {"value": encode(target(*args, **kwargs), objects)}
    if op == "len":
        return {"value": len(target)}
    if op == "getitem":
        return {"value": encode(target[decode(request["key"], objects)], objects)}
    if op == "setitem":
        target[decode(request["key"], objects)] = decode(request["item"], objects)
        return {"value": None}
    if op == "contains":
        return {"value": decode(request["item"], objects) in target}
    if op == "list":
        return {"value": encode(list(target), objects)}
    if op in ("str", "repr"):
        return {"value": str(target) if op == "str" else repr(target)}
    raise ValueError("unknown request " + repr(op))


def worker_main(requests, replies):
    sys.path.insert(0, WORKSPACE)
    objects = []
    module = None
    for line in os.fdopen(requests, "rb"):
        request = json.loads(line)
        try:
            if request["op"] == "import":
                module = importlib.import_module("solution")
                reply = {"ok": True}
            else:
                reply = answer(request, module, objects)
        except BaseException as error:  # SystemExit too: exiting on a call is not an answer
            reply = {"raised": {"type": type(error).__name__, "message": str(error)[:2000]}}
        reply["id"] = request["id"]
        try:
            send(replies, reply)
        except (TypeError, ValueError) as error:
            send(replies, {"id": request["id"], "error": "the reply is not plain data: %s" % error})


# --- the server: one worker at a time, killed on request, its output capped ----------------

class Worker:
    """A forked worker (a Python candidate) or a program run, watched through its pidfd."""

    def __init__(self, pid, requests, replies, output, run_dir):
        self.pid, self.requests, self.replies, self.output = pid, requests, replies, output
        self.pidfd = os.pidfd_open(pid)
        self.run_dir = run_dir  # a program run's directory; None for a Python worker
        self.pending = None  # the id of the request it is answering
        self.buffer = b""  # a Python worker's replies, up to the next newline
        self.stdout, self.stderr = b"", b""
        self.printed = 0
        self.outgoing = b""  # requests the worker has not read yet

    def streams(self):
        return [fd for fd in (self.replies, self.output) if fd is not None]

    def close_stream(self, fd):
        os.close(fd)
        if fd == self.replies:
            self.replies = None
        else:
            self.output = None

    def kill(self):
        """Kills its process group and reaps it: the wait status."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        status = os.waitpid(self.pid, 0)[1]
        for fd in [self.requests, self.pidfd] + self.streams():
            if fd is not None:
                os.close(fd)
        return status


def fork_worker(argv=None, stdin_path=None, run_dir=None):
    requests_r, requests_w = os.pipe() if argv is None else (None, None)
    replies_r, replies_w = os.pipe()
    output_r, output_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            os.close(CHANNEL)
            for fd in (requests_w, replies_r, output_r):
                if fd is not None:
                    os.close(fd)
            os.dup2(output_w, 2)
            if argv is None:
                os.dup2(os.open("/dev/null", os.O_RDONLY), 0)
                os.dup2(output_w, 1)
                worker_main(requests_r, replies_w)
            else:
                os.dup2(os.open(stdin_path, os.O_RDONLY), 0)
                os.dup2(replies_w, 1)
                os.chdir(run_dir)
                resource.setrlimit(resource.RLIMIT_FSIZE, (FILES_CAP, FILES_CAP))
                os.execvp(argv[0], argv)
        except BaseException as error:
            os.write(2, ("%s: %s\n" % (type(error).__name__, error)).encode(errors="replace"))
        os._exit(0 if argv is None else 127)
    for fd in (requests_r, replies_w, output_w):
        if fd is not None:
            os.close(fd)
    for fd in (requests_w, replies_r, output_r):
        if fd is not None:
            os.set_blocking(fd, False)
    return Worker(pid, requests_w, replies_r, output_r, run_dir)


def describe_status(status):
    if os.WIFSIGNALED(status):
        return "was killed by signal %d" % os.WTERMSIG(status)
    return "exited with status %d" % os.WEXITSTATUS(status)


def collect_files(run_dir):
    files, total = [], 0
    for root, _, names in os.walk(run_dir):
        for name in sorted(names):
            path = os.path.join(root, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                data = f.read(FILES_CAP + 1 - total)
            total += len(data)
            if total > FILES_CAP:
                raise ValueError("the program wrote more than 1 MiB of files")
            files.append([os.path.relpath(path, run_dir), data.decode(errors="replace")])
    return files


def make_scratch():
    """A fresh private directory in /tmp (the sandbox's own; shared when run outside one)."""
    for attempt in range(1000):
        path = "/tmp/agentd-candidate-%d-%d" % (os.getpid(), attempt)
        try:
            os.mkdir(path, 0o700)
            return path
        except FileExistsError:
            continue
    raise RuntimeError("no free scratch directory in /tmp")


class Server:
    def __init__(self):
        self.worker = None
        self.gone = None  # how the last worker ended, when it ended on its own
        self.buffer = b""
        self.runs = 0
        self.program = None  # argv of the candidate as a program, once prepared
        self.scratch = make_scratch()  # the binary, run directories

    def end_worker(self):
        if self.worker:
            self.worker.kill()
            self.worker = None

    def reply(self, rid, message):
        message["id"] = rid
        send(CHANNEL, message)

    def fail_pending(self, why):
        if self.worker and self.worker.pending is not None:
            self.reply(self.worker.pending, {"error": why})
        self.end_worker()
        self.gone = why

    def prepare(self, request):
        """Compiles C and C++ once; the other languages need nothing."""
        path = os.path.join(WORKSPACE, SOURCE)
        if LANGUAGE in ("c", "cpp"):
            import subprocess  # only here: the other languages start faster without it
            binary = os.path.join(self.scratch, "solution")
            compiler = ["gcc", "-O2", "-o", binary, path, "-lm"] if LANGUAGE == "c" else \
                ["g++", "-std=c++20", "-O2", "-o", binary, path]
            done = subprocess.run(compiler, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=request.get("timeout_s", 60))
            if done.returncode != 0:
                return {"error": "the candidate does not compile: " +
                        done.stderr.decode(errors="replace")[-2000:]}
            self.program = [binary]
        else:
            self.program = {"python": ["python3", path], "bash": ["bash", path],
                            "node": ["node", path]}[LANGUAGE]
        return {"ok": True}

    def start_run(self, request):
        if self.program is None:
            return {"error": "the candidate was not prepared"}
        self.runs += 1
        run_dir = os.path.join(self.scratch, "run-%d" % self.runs)
        os.mkdir(run_dir, 0o700)
        for name, content in request.get("files", {}).items():
            path = os.path.normpath(os.path.join(run_dir, name))
            if not path.startswith(run_dir + "/"):
                return {"error": "file path leaves the run directory: " + name}
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(content)
        stdin_path = run_dir + ".stdin"
        with open(stdin_path, "w") as f:
            f.write(request.get("stdin", ""))
        argv = self.program + [str(a) for a in request.get("args", [])]
        self.worker = fork_worker(argv, stdin_path, run_dir)
        self.worker.pending = request["id"]
        return None

    def handle(self, line):
        request = json.loads(line)
        try:
            self.handle_request(request)
        except Exception as error:  # e.g. a run's files that cannot be written: its test fails
            self.end_worker()
            self.reply(request.get("id"), {"error": "%s: %s" % (type(error).__name__, error)})

    def handle_request(self, request):
        op, rid = request["op"], request["id"]
        if op in ("start", "kill", "run", "prepare"):
            self.end_worker()
            self.gone = None
        if op == "kill":
            return self.reply(rid, {"ok": True})
        if op == "start":
            self.worker = fork_worker()
            return self.forward({"op": "import", "id": rid})
        if op == "prepare":
            return self.reply(rid, self.prepare(request))
        if op == "run":
            failed = self.start_run(request)
            return self.reply(rid, failed) if failed else None
        if self.worker is None or self.worker.requests is None:
            return self.reply(rid, {"error": self.gone or "no test is running in the candidate"})
        return self.forward(request)

    def forward(self, request):
        """Queues the request for the worker; serve() writes it as the pipe takes it, so a worker
        that stops reading never stops this loop."""
        self.worker.pending = request["id"]
        self.worker.outgoing += (json.dumps(request, separators=(",", ":")) + "\n").encode()
        self.write_to_worker()

    def write_to_worker(self):
        worker = self.worker
        try:
            worker.outgoing = worker.outgoing[os.write(worker.requests, worker.outgoing):]
        except BlockingIOError:
            pass
        except OSError:
            worker.outgoing = b""  # the worker is gone; its pidfd says how

    def on_stream(self, fd):
        """Reads what `fd` has; False once it has nothing more for now."""
        worker = self.worker
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return False
        if not data:
            worker.close_stream(fd)
            return False
        if fd == worker.output or worker.run_dir is not None:
            worker.printed += len(data)
            if worker.printed > OUTPUT_CAP:
                self.fail_pending("the candidate printed more than 1 MiB")
                return False
            if worker.run_dir is not None:
                if fd == worker.output:
                    worker.stderr += data
                else:
                    worker.stdout += data
            return True
        worker.buffer += data
        while b"\n" in worker.buffer:
            line, worker.buffer = worker.buffer.split(b"\n", 1)
            os.write(CHANNEL, line + b"\n")  # relayed as it is: the harness checks every reply
            worker.pending = None
        if len(worker.buffer) > (16 << 20):
            self.fail_pending("the candidate's reply is larger than 16 MiB")
            return False
        return True

    def on_exit(self):
        worker = self.worker
        for fd in worker.streams():  # what it wrote before it ended
            while self.worker is worker and fd in worker.streams() and self.on_stream(fd):
                pass
        if self.worker is not worker:
            return  # it printed too much on its way out
        status = worker.kill()
        self.worker = None
        if worker.run_dir is None:
            self.gone = "the candidate's process %s" % describe_status(status)
            if worker.pending is not None:
                self.reply(worker.pending, {"error": self.gone})
            return
        value = [["stdout", worker.stdout.decode(errors="replace")],
                 ["stderr", worker.stderr.decode(errors="replace")],
                 ["exit_status", os.WEXITSTATUS(status) if os.WIFEXITED(status) else None],
                 ["signal", os.WTERMSIG(status) if os.WIFSIGNALED(status) else None]]
        try:
            value.append(["files", {"dict": collect_files(worker.run_dir)}])
        except (OSError, ValueError) as error:
            return self.reply(worker.pending, {"error": str(error)})
        self.reply(worker.pending, {"value": {"dict": value}})

    def serve(self):
        while True:
            watched, writable = [CHANNEL], []
            if self.worker:
                watched += self.worker.streams() + [self.worker.pidfd]
                if self.worker.outgoing:
                    writable.append(self.worker.requests)
            ready, can_write, _ = select.select(watched, writable, [])
            # One source per turn: handling one may end the worker whose descriptors (and
            # their numbers, reused by the next) the rest of `ready` refers to.
            if can_write:
                self.write_to_worker()
            elif CHANNEL in ready:
                data = os.read(CHANNEL, 1 << 16)
                if not data:
                    return self.end_worker()
                self.buffer += data
                while b"\n" in self.buffer:
                    line, self.buffer = self.buffer.split(b"\n", 1)
                    self.handle(line)
            elif self.worker.pidfd in ready:
                self.on_exit()
            else:
                self.on_stream(ready[0])


def main():
    global LANGUAGE, SOURCE
    given = json.loads(sys.stdin.buffer.read())
    LANGUAGE, SOURCE = given["language"], SOURCES[given["language"]]
    os.dup2(os.open("/dev/null", os.O_RDONLY), 0)
    with open(os.path.join(WORKSPACE, SOURCE), "w") as f:
        f.write(given["source"])
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    Server().serve()


main()
