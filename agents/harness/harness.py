# agentd's test harness. It runs the task's Python tests in a sandbox of its own, where no
# candidate code ever runs: `import solution` gives a proxy whose functions and classes cross to
# the candidate's sandbox over the channel (fd 4) as plain data (wire.py), and `candidate.run()`
# runs the candidate as a program there. So the verdict is reached here, by the test's own code
# on values of exact built-in types, and nothing the candidate does (always-equal objects,
# patched builtins, frame inspection, atexit, excepthook, os._exit) can touch it. Each result
# goes to the daemon as one line bound to a per-run secret that only this process holds.
#
# Input (stdin, JSON): {secret, language, scripts: [{name, code, time_limit_ms}], prepare_ms,
#                       probe_calls?: [{function, args, kwargs}], probe_ms?}
# After the scripts, the calls they made (or `probe_calls`, given alone) become behaviour probes
# (probes.py), each answered with the digest of what the candidate did.
# Output (stdout): "<secret> <json>" lines: {"event": "script", script, cases: [names]},
#   {"event": "case", script, name, passed, detail, ms, behaviour}, {"event": "calls", script,
#   calls}, {"event": "probes", calls}, {"event": "probe", index, result}, {"event": "done"}.
import ast
import builtins
import hashlib
import json
import linecache
import os
import select
import signal
import sys
import time
import traceback
import types

CHANNEL = 4
MAX_REPLY = 16 << 20
MAX_CALLS = 256  # recorded per script for behaviour probes
ERRORS = {name: getattr(builtins, name) for name in (
    "ArithmeticError", "AssertionError", "AttributeError", "EOFError", "FileNotFoundError",
    "IndexError", "KeyError", "LookupError", "NameError", "NotImplementedError", "OSError",
    "OverflowError", "RecursionError", "RuntimeError", "TypeError", "UnicodeError", "ValueError",
    "ZeroDivisionError")}
# Never StopIteration: raised from a call inside map() or a for loop's iterator, it would end the
# test's loop early, as if every case had been checked.


class CandidateFailure(BaseException):
    """The candidate hung, crashed, exited, printed too much or sent bad data during a call.
    The test fails whatever it does with this exception (it is recorded on the case first)."""


class CaseTimeout(BaseException):
    pass


class CandidateError(Exception):
    """Raised by the candidate, of a type the harness does not recreate."""

    def __init__(self, kind, message):
        super().__init__("%s: %s" % (kind, message))
        self.type, self.message = kind, message


class Case:
    def __init__(self, name, limit_ms):
        self.name, self.limit_ms = name, limit_ms
        self.deadline = time.monotonic() + limit_ms / 1000
        self.failure = None
        self.behaviour = hashlib.sha256()

    def fail(self, why):
        if self.failure is None:
            self.failure = why
        raise CandidateFailure(why)

    def record(self, *parts):
        self.behaviour.update((canonical(list(parts)) + "\n").encode())


class Channel:
    """Requests and replies as JSON lines; replies to a request that was given up are skipped."""

    def __init__(self):
        self.buffer = b""
        self.next_id = 0
        self.broken = None  # why the candidate's sandbox can answer nothing more

    def request(self, message, deadline, kill_on_timeout=True):
        if self.broken:
            return {"error": self.broken}
        self.next_id += 1
        message["id"] = self.next_id
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        while data:  # the channel does not block: a full one must not outlast the deadline
            if not self.wait(select.POLLOUT, deadline):
                return self.give_up(kill_on_timeout)
            try:
                data = data[os.write(CHANNEL, data):]
            except BlockingIOError:
                pass
            except OSError:  # EPIPE, ECONNRESET: the other end is gone
                return self.breaks("the candidate's sandbox ended")
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                try:
                    reply = json.loads(line, parse_constant=reject_constant)
                except ValueError:
                    return self.breaks("the candidate's sandbox sent something that is not JSON")
                if type(reply) is dict and reply.get("id") == message["id"]:
                    return reply
            if len(self.buffer) > MAX_REPLY:
                return self.breaks("the candidate's reply is larger than 16 MiB")
            if not self.wait(select.POLLIN, deadline):
                return self.give_up(kill_on_timeout)
            try:
                chunk = os.read(CHANNEL, 1 << 20)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                return self.breaks("the candidate's sandbox ended")
            self.buffer += chunk

    def wait(self, event, deadline):
        poller = select.poll()
        poller.register(CHANNEL, event)
        return bool(poller.poll(max(0, deadline - time.monotonic()) * 1000))

    def give_up(self, kill):
        """Out of time: the candidate's worker is killed; if even that goes unanswered, the
        sandbox is given up on."""
        if kill:
            ack = self.request({"op": "kill"}, time.monotonic() + 2, kill_on_timeout=False)
            if "ok" not in ack:
                self.broken = "the candidate's sandbox stopped answering"
        return {"timeout": True}

    def breaks(self, why):
        self.broken = why
        return {"error": why}


def reject_constant(name):
    raise ValueError("not JSON: " + name)


class Session:
    """The harness's link to the candidate: one fresh worker per case, started on first use."""

    def __init__(self, language):
        self.language = language
        self.channel = Channel()
        self.case = None
        self.generation = 0  # the worker's; a handle is good only in the worker that made it
        self.started = False
        self.calls = []
        self.call_keys = set()

    def begin(self, case, keep_worker=False):
        self.case = case
        self.started = self.started and keep_worker

    def ask(self, message):
        """The candidate's reply to `message`, or the case fails."""
        case = self.case
        with blocked_alarm():
            if not self.started and message["op"] != "run":
                self.started = True
                self.generation += 1
                reply = self.checked(self.channel.request({"op": "start"}, case.deadline))
                if "raised" in reply:
                    case.record("import", reply["raised"]["type"])
                    case.fail("the candidate failed to import: %s: %s" % (
                        reply["raised"]["type"], reply["raised"]["message"]))
            return self.checked(self.channel.request(message, case.deadline))

    def checked(self, reply):
        case = self.case
        if "timeout" in reply:
            case.record("timeout")
            case.fail("the candidate took longer than the test's %d ms" % case.limit_ms)
        if "error" in reply or ("value" not in reply and "raised" not in reply and
                                "ok" not in reply and "function" not in reply and
                                "class" not in reply):
            case.record("failed")
            case.fail(str(reply.get("error", "the candidate sent a reply of no known kind")))
        return reply

    def result(self, reply, *what):
        """The reply's value, or the candidate's exception raised here."""
        if "raised" in reply:
            raised = reply["raised"]
            kind, message = str(raised.get("type")), str(raised.get("message"))
            self.case.record(*what, "raised", kind)
            error = ERRORS.get(kind)
            raise error(message) if error else CandidateError(kind, message)
        try:
            value = decode(reply["value"], lambda ref: Handle(self, self.generation, ref))
        except (Malformed, KeyError) as error:
            self.case.record(*what, "malformed")
            self.case.fail("the candidate sent something that is not plain data: %s" % error)
        self.case.record(*what, "value", value)
        return value

    def ref_of(self, handle):
        if handle._session is not self or handle._generation != self.generation:
            raise ValueError("an object of the candidate's from another test (or from loading "
                             "the test script) cannot be used here: make it inside the test")
        return handle._ref

    def target(self, base):
        return None if base is None else self.ref_of(base)

    def get(self, base, path):
        reply = self.ask({"op": "get", "ref": self.target(base), "path": path})
        if "function" in reply or "class" in reply:
            return Remote(self, base, path, "class" in reply)
        return self.result(reply, "get", path)

    def call(self, base, path, args, kwargs):
        sent_args = encode(list(args), self.ref_of)
        sent_kwargs = {str(k): encode(v, self.ref_of) for k, v in kwargs.items()}
        if base is None and len(path) == 1 and len(self.calls) < MAX_CALLS:
            key = json.dumps([path[0], sent_args, sent_kwargs], sort_keys=True)
            if '"ref"' not in key and key not in self.call_keys:
                self.call_keys.add(key)
                self.calls.append({"function": path[0], "args": sent_args, "kwargs": sent_kwargs})
        reply = self.ask({"op": "call", "ref": self.target(base), "path": path,
                          "args": sent_args, "kwargs": sent_kwargs})
        return self.result(reply, "call", path, sent_args, sent_kwargs)

    def ask_handle(self, handle, op, fields):
        sent = {k: encode(v, self.ref_of) for k, v in fields.items()}
        value = self.result(self.ask(dict(op=op, ref=self.ref_of(handle), **sent)), op, sent)
        expected = {"len": int, "contains": bool, "str": str, "repr": str, "list": list}
        if op in expected and type(value) is not expected[op]:
            self.case.fail("the candidate's %s() gave a %s" % (op, type(value).__name__))
        return value

    def run(self, stdin="", args=(), files=None):
        files = dict(files or {})
        if type(stdin) is not str or any(type(k) is not str or type(v) is not str
                                         for k, v in files.items()):
            raise TypeError("candidate.run(stdin: str, args: list, files: {path: str})")
        message = {"op": "run", "stdin": stdin, "args": [str(a) for a in args], "files": files}
        return self.result(self.ask(message), "run", message)


class Remote:
    """A function or class of the candidate's, called there."""

    def __init__(self, session, base, path, is_class):
        self._session, self._base, self._path, self._is_class = session, base, path, is_class

    def __call__(self, *args, **kwargs):
        return self._session.call(self._base, self._path, args, kwargs)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._session.get(self._base, self._path + [name])

    def __repr__(self):
        return "<the candidate's %s %s>" % ("class" if self._is_class else "function",
                                             ".".join(self._path))


def solution_module(session):
    module = types.ModuleType("solution", "The candidate, answering from its own sandbox.")

    def attribute(name):
        if name.startswith("__") and name != "__all__":
            raise AttributeError(name)
        if session.language != "python":
            raise AttributeError("the candidate is a %s program, not a Python module: test it "
                                 "with candidate.run(stdin=..., args=[...])" % session.language)
        if name == "__all__":
            return session.result(session.ask({"op": "names", "ref": None, "path": []}), "names")
        return session.get(None, [name])
    module.__getattr__ = attribute
    return module


def candidate_module(session):
    module = types.ModuleType("candidate", "Runs the candidate as a program in its sandbox.")
    module.run = session.run
    module.CandidateError = CandidateError
    return module


class blocked_alarm:
    """The case's alarm waits while a request is on the wire, so no message is cut in half;
    the request itself stops at the same deadline."""

    def __enter__(self):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})

    def __exit__(self, *_):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})


# --- running the scripts -------------------------------------------------------------------

class CappedText:
    """What a test prints: kept up to a cap for its failure detail, never a way out."""

    def __init__(self, cap=4096):
        self.cap, self.parts, self.size = cap, [], 0

    def write(self, text):
        text = str(text)
        if self.size < self.cap:
            self.parts.append(text[:self.cap - self.size])
        self.size += len(text)
        return len(text)

    def flush(self):
        pass

    def text(self):
        return "".join(self.parts)


def discover(tree):
    """The script's tests in source order: top-level test_* functions, and test_* methods of
    top-level classes. None: the script is one test."""
    cases = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            cases.append((None, node.name))
        elif isinstance(node, ast.ClassDef):
            cases += [(node.name, item.name) for item in node.body
                      if isinstance(item, ast.FunctionDef) and item.name.startswith("test")]
    return cases


def failure_text(error, filename):
    """One line: the exception and the test's own line where it happened."""
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
    if frames:
        text += " (%s line %d: %s)" % (filename, frames[-1].lineno, (frames[-1].line or "").strip())
    return text[:2000]


class Runner:
    def __init__(self, job, report):
        self.job, self.report = job, report
        self.session = Session(job["language"])
        self.passed_any = False
        sys.modules["solution"] = solution_module(self.session)
        sys.modules["candidate"] = candidate_module(self.session)
        signal.signal(signal.SIGALRM, self.on_alarm)

    def on_alarm(self, *_):
        case = self.session.case
        if case.failure is None:
            case.failure = "the test took longer than its %d ms" % case.limit_ms
        raise CaseTimeout()

    def run_case(self, name, limit_ms, body, filename, keep_worker=False):
        """Runs `body` as one test with its own time limit: (passed, detail, case)."""
        try:
            return self.run_timed_case(name, limit_ms, body, filename, keep_worker)
        except CaseTimeout:  # the alarm rang between the test's end and its disarming
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            return False, self.session.case.failure, self.session.case

    def run_timed_case(self, name, limit_ms, body, filename, keep_worker):
        case = Case(name, limit_ms)
        self.session.begin(case, keep_worker)
        sys.stdout = sys.stderr = CappedText()
        error = None
        signal.setitimer(signal.ITIMER_REAL, limit_ms / 1000)
        try:
            body()
        except SystemExit as exit:
            if exit.code not in (None, 0):
                error = exit
        except BaseException as raised:
            error = raised
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            printed = sys.stdout.text()
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        detail = case.failure or (failure_text(error, filename) if error else "")
        if detail and printed:
            detail += "\nthe test printed: " + printed[-1000:]
        return detail == "", detail, case

    def emit(self, **fields):
        self.report(fields)

    def run_script(self, index, script):
        name, code, limit = script["name"], script["code"], script["time_limit_ms"]
        filename = "test %s" % name
        self.session.calls, self.session.call_keys = [], set()
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        try:
            tree = ast.parse(code, filename)
            compiled = compile(tree, filename, "exec")
        except SyntaxError as error:
            return self.emit(event="case", script=index, name=name, passed=False, ms=0,
                             detail="the test does not compile: %s" % error, behaviour="")
        cases = discover(tree)
        labels = [m if c is None else "%s.%s" % (c, m) for c, m in cases] or [name]
        self.emit(event="script", script=index, cases=labels)
        namespace = {"__name__": "__main__" if not cases else "test_script",
                     "__builtins__": builtins}
        loaded, detail, _ = self.run_case(name, limit, lambda: exec(compiled, namespace),
                                          filename)
        if not cases:
            self.finish_case(index, name, loaded, detail, self.session.case, limit)
        for (cls, method), label in zip(cases, labels):
            if not loaded:
                self.emit(event="case", script=index, name=label, passed=False, ms=0,
                          detail="the test script failed to load: " + detail, behaviour="")
                continue
            passed, why, case = self.run_case(label, limit, self.case_body(namespace, cls, method),
                                              filename)
            self.finish_case(index, label, passed, why, case, limit)
        self.emit(event="calls", script=index, calls=self.session.calls)

    def finish_case(self, index, name, passed, detail, case, limit):
        case.record("passed" if passed else "failed")
        self.passed_any = self.passed_any or passed
        elapsed = limit - max(0, case.deadline - time.monotonic()) * 1000
        self.emit(event="case", script=index, name=name, passed=passed, detail=detail,
                  ms=round(elapsed, 3), behaviour=case.behaviour.hexdigest())

    def case_body(self, namespace, cls, method):
        if cls is None:
            return lambda: namespace[method]()
        owner = namespace[cls]
        import unittest  # only here: it is a third of the harness's start-up
        if isinstance(owner, type) and issubclass(owner, unittest.TestCase):
            return lambda: run_unittest(owner, method)
        return lambda: getattr(owner(), method)()

    def run_probes(self, calls):
        """Each probe is a call of its own; they share one worker until one fails (a probe is
        judged by agreement alone, and a fresh worker each costs a fork and an import)."""
        limit = self.job.get("probe_ms", 1000)
        probes = derive_probes(calls) if self.session.language == "python" else []
        if self.job.get("scripts") and not self.passed_any:
            probes = []  # it passed no test: never a finalist, whose probes would count
        self.emit(event="probes", calls=probes)
        started = False
        for index, probe in enumerate(probes):
            def body():
                self.session.call(None, [probe["function"]],
                                  decode(probe["args"], self.refuse_ref),
                                  {k: decode(v, self.refuse_ref)
                                   for k, v in probe["kwargs"].items()})
            passed, _, case = self.run_case("probe", limit, body, "", keep_worker=started)
            started = passed
            self.emit(event="probe", index=index, result=case.behaviour.hexdigest())
            if case.failure:
                break  # it hung, crashed or exited: the rest would cost a limit each to say so

    def refuse_ref(self, ref):
        raise Malformed("a probe cannot name an object")

    def prepare(self):
        case = Case("prepare", self.job.get("prepare_ms", 60000))
        self.session.begin(case)
        timeout_s = case.limit_ms // 1000
        reply = self.session.channel.request({"op": "prepare", "timeout_s": timeout_s},
                                             case.deadline)
        if "ok" not in reply:
            self.session.channel.broken = str(reply.get("error", "the candidate's sandbox took "
                                                                 "too long to prepare"))

    def run(self):
        self.prepare()
        calls = list(self.job.get("probe_calls", []))
        for index, script in enumerate(self.job.get("scripts", [])):
            self.run_script(index, script)
            calls += self.session.calls
        self.run_probes(calls)
        self.emit(event="done")


def run_unittest(cls, method):
    import unittest
    result = unittest.TestResult()
    unittest.TestSuite([cls(method)]).run(result)
    problems = result.errors + result.failures
    if problems:
        raise AssertionError(problems[0][1].strip().splitlines()[-1])
    if result.skipped:
        raise AssertionError("skipped (a skipped test passes nothing): " + result.skipped[0][1])
    if result.unexpectedSuccesses:
        raise AssertionError("passed, but is marked as an expected failure")


def main():
    report_fd = os.dup(1)
    job = json.loads(sys.stdin.buffer.read())
    secret = job.pop("secret")
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    os.set_blocking(CHANNEL, False)

    def report(fields):
        line = (secret + " " + json.dumps(fields, separators=(",", ":")) + "\n").encode()
        while line:
            line = line[os.write(report_fd, line):]
    Runner(job, report).run()
    os._exit(0)  # whatever the tests left behind (threads, atexit hooks) changes nothing now


main()
