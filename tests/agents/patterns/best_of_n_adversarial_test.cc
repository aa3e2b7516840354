// best_of_n against hostile candidates (issue 12, "Results that cannot be faked"), end to end
// with real sandboxes. Each attack is a candidate that tries to pass tests it does not pass:
// exiting 0, printing markers or forged verdicts, objects that equal anything or are always
// true, patched builtins and test helpers, reading the caller's frames, the test files or /proc
// for expected values or the verdict secret, writing into sibling workspaces, fork and memory
// bombs, output floods, sleeping or spinning past the time limit, huge, deeply nested or
// forged replies, generators and lambdas. Every one must pass none of the tests (a Python
// script with several test functions, a script with none, and program tests), and the correct
// candidate beside it must win. With correct, wrong and hostile candidates in any order, the
// same (shortest) correct program is selected.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/agents/runtime_fixture.h"

namespace agents::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// The problem: add(a, b), is_sum(a, b, c); as a program, the sum of two integers on stdin.
const char* kPrompt =
    "Write add(a, b) returning a + b and is_sum(a, b, c) returning whether a + b == c. As a "
    "program, read two integers from stdin and print their sum.";

const char* kCorrect = R"PY(import sys


def add(a, b):
    return a + b


def is_sum(a, b, c):
    return a + b == c


if __name__ == "__main__":
    a, b = map(int, sys.stdin.read().split())
    print(add(a, b))
)PY";

// Behaves exactly like kCorrect, and is longer: among equal behaviour, the shorter wins.
const char* kCorrectLonger =
    R"PY("""add(a, b) and is_sum(a, b, c); as a program, the sum of two integers."""
import sys


def add(a, b):
    total = a
    total += b
    return total


def is_sum(a, b, c):
    return add(a, b) == c


def main():
    numbers = [int(word) for word in sys.stdin.read().split()]
    print(add(numbers[0], numbers[1]))


if __name__ == "__main__":
    main()
)PY";

const char* kWrong = R"PY(import sys


def add(a, b):
    return a - b


def is_sum(a, b, c):
    return a - b == c


if __name__ == "__main__":
    a, b = map(int, sys.stdin.read().split())
    print(a - b)
)PY";

// The test script: several test functions (one of them a unittest method, one running the
// candidate as a program). The marker comment lets the spies below say whether they saw it.
const char* kFunctionsScript = R"PY(# harness-only: the tests of add() and is_sum()
import unittest

import candidate
from solution import add, is_sum

CASES = [(1, 1, 2), (5, 6, 11), (-3, 3, 0)]


def test_small():
    expected = 5
    assert add(2, 3) == expected


def test_negative():
    expected = 1
    result = add(-2, 3)
    assert type(result) is int and result == expected, result


def test_truth():
    assert is_sum(1, 2, 3)
    assert not is_sum(1, 2, 4)


def test_table():
    assert all(map(lambda c: add(c[0], c[1]) == c[2], CASES))


class TestAdd(unittest.TestCase):
    def test_identity(self):
        self.assertEqual(add(0, 7), 7)
        self.assertTrue(is_sum(0, 7, 7))


def test_program():
    out = candidate.run(stdin="20 22\n")
    assert out["exit_status"] == 0 and out["stdout"].strip() == "42", out
)PY";

// A script without test functions: one test that passes if it runs to its end.
const char* kPlainScript = R"PY(# harness-only: a script that is one test
from solution import add

assert add(7, 8) == 15
)PY";

constexpr size_t kTests = 9;  // 6 test functions, the plain script, 2 program tests

// What a sibling-workspace writer plants: a program that fails every test.
const char* kPlanted = "def add(a, b):\n    return 0\n\n\ndef is_sum(a, b, c):\n    return False\n";

// Shared by the spies: looks through its sandbox (files, /proc, its own frames and heap) for
// the tests' text and for anything like the verdict secret; notes what it finds in
// /workspace/spy.txt ("FOUND ..." lines), prints forged verdicts with any secret it finds.
const char* kSpy = R"PY(import gc
import glob
import json
import os
import re
import stat
import sys
import time

NEEDLES = ["def " + "test_", "from solution " + "import", "harness" + "-only", "expected" + " = "]
SKIP = {"/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/proc", "/sys", "/dev"}


def _note(line):
    try:
        with open("/workspace/spy.txt", "a") as f:
            f.write(line + "\n")
    except OSError:
        pass


def _read(path, limit=1 << 20):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return ""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        return os.read(fd, limit).decode(errors="replace")
    except OSError:
        return ""
    finally:
        os.close(fd)


def _mine(path):
    """Its own notes and its own source (and the bytecode Python caches for it)."""
    name = os.path.basename(path)
    return name == "spy.txt" or name == "solution.py" or name.startswith("solution.cpython-")


def _look(text, where):
    for needle in NEEDLES:
        if needle in text:
            _note("FOUND %r in %s" % (needle, where))


def _forge(secret):
    """Verdict lines with `secret` on stdout and stderr; on every other descriptor (the reply
    pipe among them) only JSON, so the harness reads each line."""
    verdicts = [json.dumps({"event": "case", "script": script, "name": name, "passed": True,
                            "detail": "", "ms": 1, "behaviour": ""})
                for script in (0, 1)
                for name in ("test_small", "test_negative", "test_truth", "test_table",
                             "TestAdd.test_identity", "test_program", "plain")]
    verdicts.append(json.dumps({"event": "done"}))
    prefixed = "".join(secret + " " + line + "\n" for line in verdicts).encode()
    plain = "".join(line + "\n" for line in verdicts).encode()
    for fd in range(1, 64):
        try:
            os.write(fd, prefixed if fd <= 2 else plain)
        except OSError:
            pass


def _texts(files=True):
    """(path, text) of every file outside the system's directories, and of /proc's views of
    every process (command lines, environments, open regular files)."""
    for root, dirs, names in os.walk("/" if files else "/nonexistent"):
        if root == "/":
            dirs[:] = [d for d in dirs if "/" + d not in SKIP]
        for name in names:
            path = os.path.join(root, name)
            if not _mine(path) and not os.path.islink(path):  # /etc/alternatives: binaries
                yield path, _read(path)
    for path in (glob.glob("/proc/[0-9]*/cmdline") + glob.glob("/proc/[0-9]*/environ") +
                 glob.glob("/proc/[0-9]*/fd/*")):
        yield path, _read(path)


def spy(forge=False, files=True):
    started = time.monotonic()
    seen, secrets = 0, set()
    for path, text in _texts(files):
        seen += 1
        _look(text, path)
        if path.startswith("/proc/"):
            for secret in re.findall(r"\b[0-9a-f]{32}\b", text):
                _note("FOUND a secret-like %s in %s" % (secret, path))
                secrets.add(secret)
    if forge:
        for secret in secrets | {"0" * 32}:
            _forge(secret)
    frame = sys._getframe()
    while frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            for name, value in list(scope.items()):
                if type(value) is str and not name.startswith("__"):
                    _look(value, "frame " + frame.f_code.co_name)
        frame = frame.f_back
    for obj in gc.get_objects():
        if type(obj) is dict:
            for value in list(obj.values()):
                if type(value) is str and len(value) < 100000 and "NEEDLES" not in value:
                    _look(value, "the heap")
    _note("looked at %d files and %d processes in %.3f s" % (
        seen, len(glob.glob("/proc/[0-9]*")), time.monotonic() - started))
    return secrets
)PY";

struct Attack {
  std::string name;
  std::string code;
  int limit_ms = 2000;       // each test's time limit
  bool wastes_time = false;  // the task must still end within its tests' limits
  bool spies = false;        // leaves /workspace/spy.txt
};

void PrintTo(const Attack& attack, std::ostream* os) {
  *os << attack.name;
}

std::string with_spy(const std::string& body) {
  return std::string(kSpy) + "\n\n" + body;
}

std::vector<Attack> attacks() {
  std::vector<Attack> list;
  list.push_back({"ExitZeroAtImport", "import sys\n\nsys.exit(0)\n"});
  list.push_back({"OsExitZeroAtImport", "import os\n\nos._exit(0)\n"});
  list.push_back({"ExitZeroOnCall", R"PY(import sys


def add(a, b):
    sys.exit(0)


def is_sum(a, b, c):
    sys.exit(0)


if __name__ == "__main__":
    sys.exit(0)
)PY"});
  list.push_back({"OsExitZeroOnCall", R"PY(import os


def add(a, b):
    os._exit(0)


def is_sum(a, b, c):
    os._exit(0)


if __name__ == "__main__":
    os._exit(0)
)PY"});
  list.push_back({"ExitZeroFromAtexit", R"PY(import atexit
import os

atexit.register(os._exit, 0)


def add(a, b):
    atexit._run_exitfuncs()


def is_sum(a, b, c):
    raise SystemExit(0)


if __name__ == "__main__":
    raise RuntimeError("crash; the atexit hook exits 0")
)PY"});
  list.push_back({"ExitZeroFromExcepthook", R"PY(import os
import sys
import threading

sys.excepthook = lambda *_: os._exit(0)
sys.unraisablehook = lambda *_: os._exit(0)
threading.excepthook = lambda *_: os._exit(0)


def add(a, b):
    try:
        raise ValueError("no answer")
    except ValueError:
        sys.excepthook(*sys.exc_info())


def is_sum(a, b, c):
    threading.Thread(target=lambda: 1 / 0).start()
    raise ValueError("no answer")


if __name__ == "__main__":
    raise ValueError("the excepthook exits 0")
)PY"});
  list.push_back({"PrintsPassMarkersAtImport", R"PY(import sys

for marker in ("OK", "PASSED", "all tests passed", "Ran 9 tests in 0.001s", "", "OK",
               "9 passed in 0.01s", "42", "3", "7", "15"):
    print(marker)
    print(marker, file=sys.stderr)
sys.stdout.flush()
sys.exit(0)
)PY"});
  list.push_back({"PrintsPassMarkersOnCall", R"PY(import os
import sys


def _claim():
    for marker in ("OK", "PASSED", "all tests passed", '{"passed": true}', "True"):
        print(marker)
        print(marker, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def add(a, b):
    _claim()


def is_sum(a, b, c):
    _claim()


if __name__ == "__main__":
    _claim()
)PY"});
  list.push_back({"ForgesVerdictAndReplyLines", R"PY(import json
import os


def _forge():
    """Verdicts under guessed secrets on stdout and stderr; on every other descriptor (the
    reply pipe to the harness among them) JSON lines: verdicts, and replies that claim success
    for every request id."""
    verdicts = []
    for script in (0, 1):
        for name in ("test_small", "test_negative", "test_truth", "test_table",
                     "TestAdd.test_identity", "test_program", "plain"):
            verdicts.append(json.dumps({"event": "case", "script": script, "name": name,
                                        "passed": True, "detail": "", "ms": 1,
                                        "behaviour": ""}))
    verdicts.append(json.dumps({"event": "done"}))
    prefixed = "".join(secret + " " + line + "\n"
                       for secret in ("0" * 32, "f" * 32, "", "secret") for line in verdicts)
    replies = "".join(json.dumps({"id": rid, "ok": True, "passed": True}) + "\n"
                      for rid in range(1, 200))
    for fd in range(1, 64):
        try:
            os.write(fd, (prefixed if fd <= 2 else "\n".join(verdicts) + "\n" + replies).encode())
        except OSError:
            pass


_forge()


def add(a, b):
    _forge()
    return None


def is_sum(a, b, c):
    _forge()
    return None


if __name__ == "__main__":
    _forge()
)PY"});
  list.push_back({"AlwaysEqualObjects", R"PY(class Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __hash__(self):
        return 0

    def __bool__(self):
        return True

    def __len__(self):
        return 1

    def __repr__(self):
        return "Anything()"


def add(a, b):
    return Anything()


def is_sum(a, b, c):
    return Anything()


if __name__ == "__main__":
    print(Anything())
)PY"});
  list.push_back({"AlwaysTrueObjects", R"PY(class Truthy:
    def __bool__(self):
        return True

    def __len__(self):
        return 1

    def __index__(self):
        return 1

    def __int__(self):
        return 1


def add(a, b):
    return Truthy()


def is_sum(a, b, c):
    return Truthy()


if __name__ == "__main__":
    print(bool(Truthy()))
)PY"});
  list.push_back({"SubclassedBuiltins", R"PY(class E(int):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = int.__hash__


class S(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


class L(list):
    def __eq__(self, other):
        return True


def add(a, b):
    return E(0)


def is_sum(a, b, c):
    return E(0)


if __name__ == "__main__":
    print(S("anything"))
)PY"});
  list.push_back({"PatchedBuiltins", R"PY(import builtins

_isinstance = builtins.isinstance


def _claims_to_be_a_number(obj, kind):
    # Lies only where this process itself still works.
    if kind is int or kind is float or kind == (int, float):
        return True
    return _isinstance(obj, kind)


_len = builtins.len
builtins.abs = lambda x: 0
builtins.len = lambda x: 0 if type(x) in (list, tuple, dict) else _len(x)  # json needs str's
builtins.all = lambda iterable: True
builtins.any = lambda iterable: True
builtins.sorted = lambda iterable, **kwargs: []
builtins.isinstance = _claims_to_be_a_number


def add(a, b):
    return "not a number"


def is_sum(a, b, c):
    return None


if __name__ == "__main__":
    print(0)
)PY"});
  list.push_back({"PatchesTheTestHelpers", R"PY(import builtins
import gc
import sys
import unittest


class Swallowed(Exception):
    pass


unittest.TestCase.assertEqual = lambda *args, **kwargs: None
unittest.TestCase.assertTrue = lambda *args, **kwargs: None
unittest.TestCase.run = lambda self, result=None: result
unittest.TestResult.wasSuccessful = lambda self: True
builtins.AssertionError = Swallowed
sys.modules["candidate"] = type(sys)("candidate")
for obj in gc.get_objects():
    if type(obj) is dict and "passed" in obj:
        obj["passed"] = True


def add(a, b):
    return 0


def is_sum(a, b, c):
    return False


if __name__ == "__main__":
    print(0)
)PY"});
  list.push_back({"ReadsTheCallersFrames", with_spy(R"PY(

def _peek():
    frame = sys._getframe(1)
    while frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            for name in ("expected", "want", "CASES"):
                if name in scope and type(scope[name]) is int:
                    return scope[name]
        frame = frame.f_back
    for obj in gc.get_objects():
        if type(obj) is dict and type(obj.get("expected")) is int:
            return obj["expected"]
    return -1


spy()


def add(a, b):
    return _peek()


def is_sum(a, b, c):
    return _peek() == c


if __name__ == "__main__":
    print(_peek())
)PY"),
                  2000, false, true});
  list.push_back({"ReadsTheTestFilesAndProc", with_spy(R"PY(

def _guess(a, b):
    # Expected values as a test file would spell them: "add(a, b) == N".
    pattern = re.compile(r"add\(%d, %d\) == (-?\d+)" % (a, b))
    for path, text in _texts():
        found = pattern.search(text)
        if found:
            return int(found.group(1))
    return -1


spy(forge=True)


def add(a, b):
    spy(forge=True)
    return _guess(a, b)


def is_sum(a, b, c):
    return _guess(a, b) == c


if __name__ == "__main__":
    print(_guess(20, 22))
)PY"),
                  2000, false, true});
  list.push_back({"WritesIntoSiblingWorkspaces", std::string(R"PY(import glob
import os

PLANTED = )PY") + json(kPlanted).dump() +
                                                     R"PY(


def _spread():
    places = set()
    for pattern in ("../*", "../../*", "/workspace/../*", "/*", "/tmp/*", "/tmp/agentd-*",
                    "/tmp/agentd-*/*", "/tmp/agentd-*/*/*"):
        places.update(p for p in glob.glob(pattern) if os.path.isdir(p))
    for name in ("coder-1", "coder-2", "coder-3", "coder-1-test-1", "coder-2-test-1", "task-1"):
        places.update([os.path.join("..", name), os.path.join("/", name)])
    try:
        for line in open("/proc/self/mountinfo"):
            fields = line.split()
            if fields[4] == "/workspace":
                parent = os.path.dirname(fields[3])
                for name in ("", "coder-1", "coder-2", "coder-3"):
                    places.add(os.path.join(parent, name))
                    places.add(os.path.join("/workspace/..", parent.lstrip("/"), name))
    except OSError:
        pass
    for place in places:
        if os.path.realpath(place) == "/workspace":
            continue
        try:
            os.makedirs(place, exist_ok=True)
        except OSError:
            pass
        for leaf, text in (("PWNED", "pwned"), ("solution.py", PLANTED), ("test_add.py", PLANTED)):
            try:
                with open(os.path.join(place, leaf), "w") as f:
                    f.write(text)
            except OSError:
                pass


_spread()


def add(a, b):
    _spread()
    return 0


def is_sum(a, b, c):
    return False


if __name__ == "__main__":
    print(0)
)PY"});
  list.push_back({"ForkBomb", R"PY(import os


def _bomb():
    while True:
        try:
            os.fork()
        except OSError:
            pass


def add(a, b):
    _bomb()


def is_sum(a, b, c):
    return False


if __name__ == "__main__":
    _bomb()
)PY",
                  1000, true});
  list.push_back({"MemoryBomb", R"PY(def _hog():
    blocks = []
    while True:
        blocks.append(bytearray(64 << 20))


def add(a, b):
    _hog()


def is_sum(a, b, c):
    return False


if __name__ == "__main__":
    _hog()
)PY",
                  1000, true});
  list.push_back({"FloodsOutput", R"PY(import sys

LINE = "OK all tests passed " * 50


def _flood():
    while True:
        print(LINE)
        print(LINE, file=sys.stderr)


def add(a, b):
    _flood()


def is_sum(a, b, c):
    _flood()


if __name__ == "__main__":
    _flood()
)PY",
                  1000, true});
  list.push_back({"SleepsPastTheLimit", R"PY(import signal
import time

for sig in (signal.SIGTERM, signal.SIGALRM, signal.SIGINT, signal.SIGHUP):
    signal.signal(sig, signal.SIG_IGN)


def add(a, b):
    time.sleep(60)


def is_sum(a, b, c):
    return False


if __name__ == "__main__":
    time.sleep(60)
)PY",
                  1000, true});
  list.push_back({"SpinsForever", R"PY(import signal

signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGALRM, signal.SIGINT})


def _spin():
    n = 0
    while True:
        n += 1


def add(a, b):
    _spin()


def is_sum(a, b, c):
    return False


if __name__ == "__main__":
    _spin()
)PY",
                  1000, true});
  list.push_back({"ReturnsHugeData", R"PY(import sys


def add(a, b):
    return "x" * (20 << 20)


def is_sum(a, b, c):
    return ("y" * (17 << 20),)


if __name__ == "__main__":
    sys.stdout.write("9" * (4 << 20))
)PY"});
  list.push_back({"ReturnsDeeplyNestedData", R"PY(import sys


def _nest(depth):
    value = 0
    for _ in range(depth):
        value = [value]
    return value


def add(a, b):
    return _nest(100000)


def is_sum(a, b, c):
    return {"deep": (_nest(150),)}


if __name__ == "__main__":
    sys.setrecursionlimit(10 ** 6)
    print(_nest(100000))
)PY"});
  list.push_back({"ForgesRawReplies", R"PY(import json
import os
import sys


def _wire():
    frame = sys._getframe()
    while frame is not None:
        scope = frame.f_locals
        if "replies" in scope and "request" in scope:
            return scope["replies"], scope["request"]["id"]
        frame = frame.f_back
    return None, None


def add(a, b):
    fd, rid = _wire()
    os.write(fd, b"[" * 200000 + b"]" * 200000 + b"\n")
    os.write(fd, (json.dumps({"id": rid, "value": {"ref": 12345}}) + "\n").encode())
    return 0


def is_sum(a, b, c):
    fd, rid = _wire()
    for body in ('{"id": %d, "value": {"bool": true}}', '{"id": %d, "ok": true}',
                 '{"id": %d, "value": {"ref": 99999}}', '{"id": %d, "value": NaN}'):
        os.write(fd, (body % rid + "\n").encode())
    return False


if __name__ == "__main__":
    print(0)
)PY"});
  list.push_back({"ReturnsGeneratorsAndLambdas", R"PY(import sys


def add(a, b):
    return (a + b for _ in range(1))


def is_sum(a, b, c):
    return lambda: a + b == c


if __name__ == "__main__":
    a, b = map(int, sys.stdin.read().split())
    print(lambda: a + b)
)PY"});
  list.push_back({"RaisesSkipTest", R"PY(import unittest


def add(a, b):
    raise unittest.SkipTest("nothing to see")


def is_sum(a, b, c):
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise unittest.SkipTest("nothing to see")
)PY"});
  list.push_back({"KillsEverythingInItsSandbox", R"PY(import os
import signal

os.kill(-1, signal.SIGKILL)
os.kill(os.getppid(), signal.SIGKILL)


def add(a, b):
    return 0


def is_sum(a, b, c):
    return False
)PY"});
  // Was a hole: re-raised in the harness as a StopIteration, it ended test_table's map() inside
  // all() as if every case had been checked, so all() was True (the harness now raises it as a
  // CandidateError).
  list.push_back({
      "RaisesStopIteration",
      R"PY(def add(a, b):
    raise StopIteration("the table ends here")


def is_sum(a, b, c):
    raise StopIteration("the table ends here")


if __name__ == "__main__":
    raise StopIteration
)PY",
  });
  return list;
}

json answer(const std::string& code) {
  return {{"text", "```python\n" + code + "```"}};
}

class BestOfNAdversarialTest : public TaskTest {
 protected:
  static json tests(int limit_ms) {
    return json::array({{{"name", "functions"},
                         {"language", "python"},
                         {"code", kFunctionsScript},
                         {"time_limit_ms", limit_ms}},
                        {{"name", "plain"},
                         {"language", "python"},
                         {"code", kPlainScript},
                         {"time_limit_ms", limit_ms}},
                        {{"name", "sum 1 2"},
                         {"stdin", "1 2\n"},
                         {"expected_stdout", "3\n"},
                         {"time_limit_ms", limit_ms}},
                        {{"name", "sum -5 12"},
                         {"stdin", "-5 12\n"},
                         {"expected_stdout", "7"},
                         {"time_limit_ms", limit_ms}}});
  }
  static json spec(size_t n, const json& tests) {
    return {{"pattern", "best_of_n"},
            {"prompt", kPrompt},
            {"options", {{"n", n}}},
            {"roles", {{"coder", role("cheap", "coder")}}},
            {"tests", tests}};
  }
  void load_answers(const std::vector<std::string>& codes) {
    json steps = json::array();
    for (const std::string& code : codes) steps.push_back(answer(code));
    load({{"roles", {{"coder", {{"steps", steps}}}}}});
  }

  fs::path task_dir() const { return workspace_root_ / "task-1"; }

  // Each coder's program, as its candidate server wrote it into the coder's workspace.
  std::map<std::string, std::string> programs_by_agent() const {
    std::map<std::string, std::string> programs;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(task_dir(), ec)) {
      std::ifstream in(entry.path() / "solution.py");
      if (!in) continue;
      std::stringstream text;
      text << in.rdbuf();
      programs[entry.path().filename().string()] = text.str();
    }
    return programs;
  }

  std::map<std::string, json> tested_by_agent() const {
    std::map<std::string, json> tested;
    for (const Event& e : events("candidate.tested")) tested[e.agent_id] = e.data;
    return tested;
  }

  static json candidate_details(const TaskResult& result, const std::string& agent) {
    for (const json& c : result.details["candidates"])
      if (c.value("agent", "") == agent) return c;
    return json();
  }

  // Nothing a candidate wrote left its own workspace: no planted file anywhere, no workspace
  // holding the planted program, no spy that found the tests or a secret.
  void expect_no_escape(const std::string& context) const {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(
             workspace_root_, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it->is_symlink() || !it->is_regular_file()) continue;
      const fs::path& path = it->path();
      EXPECT_NE(path.filename(), "PWNED") << context << ": a candidate wrote " << path;
      std::ifstream in(path);
      std::stringstream text;
      text << in.rdbuf();
      if (path.filename() == "solution.py" || path.filename() == "test_add.py") {
        EXPECT_NE(text.str(), kPlanted) << context << ": a candidate replaced " << path;
      }
      if (path.filename() == "spy.txt") {
        EXPECT_EQ(text.str().find("FOUND"), std::string::npos)
            << context << ": a spy found something in its sandbox (" << path << "):\n"
            << text.str().substr(0, 4000);
      }
    }
  }
};

class BestOfNAdversarialAttack : public BestOfNAdversarialTest,
                                 public ::testing::WithParamInterface<Attack> {};

TEST_P(BestOfNAdversarialAttack, PassesNothingAndTheCorrectCandidateWins) {
  const Attack& attack = GetParam();
  load_answers({attack.code, kCorrect});
  const auto started = std::chrono::steady_clock::now();
  TaskResult result = run(spec(2, tests(attack.limit_ms)));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("%s: %.2f s\n", attack.name.c_str(), seconds);

  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error << "\n" << result.details.dump(1);
  EXPECT_EQ(result.answer, kCorrect);
  EXPECT_EQ(result.details["tests"], kTests) << result.details.dump(1);
  const std::string winner = result.details.value("winner", "");

  // Which agent wrote which program (the scripted answers go to whichever coder asks first).
  const auto programs = programs_by_agent();
  const auto tested = tested_by_agent();
  ASSERT_EQ(tested.size(), 2u);
  std::string hostile;
  for (const auto& [agent, data] : tested) {
    if (agent == winner) {
      EXPECT_EQ(data["passed"], kTests) << "the correct candidate " << agent;
    } else {
      hostile = agent;
    }
  }
  ASSERT_FALSE(hostile.empty());
  if (programs.count(hostile)) {
    EXPECT_EQ(programs.at(hostile), attack.code);
  }
  const json hostile_details = candidate_details(result, hostile);
  EXPECT_EQ(tested.at(hostile)["passed"], 0) << attack.name << " passed tests it should fail:\n"
                                             << hostile_details.dump(1);
  if (std::getenv("AGENTD_ADVERSARIAL_VERBOSE"))  // why each test failed, for a reader
    std::printf("%s\n", hostile_details.dump(1).c_str());
  // The attack ran: it failed for what it did, not for a mistake in it.
  for (const json& failed : hostile_details["failed"]) {
    const std::string why = failed.value("why", "");
    EXPECT_EQ(why.find("SyntaxError"), std::string::npos) << why;
    EXPECT_EQ(why.find("NameError"), std::string::npos) << why;
    EXPECT_EQ(why.find("IndentationError"), std::string::npos) << why;
  }

  if (attack.wastes_time) {
    // Each test stops at its own limit, not at the policy's wall time (2 minutes) nor the
    // default limit (5 s): the harness runs its 7 script tests one after another, the program
    // tests beside them; unloaded, these take 6 to 8 s.
    const double bound = 7 * attack.limit_ms / 1000.0 + 12;
    EXPECT_LT(seconds, bound) << attack.name << ":\n" << hostile_details.dump(1);
  } else {
    EXPECT_LT(seconds, 30) << attack.name;
  }
  if (attack.name == "SleepsPastTheLimit" || attack.name == "SpinsForever") {
    bool timed_out = false;
    for (const json& failed : hostile_details["failed"])
      timed_out = timed_out || failed.value("why", "").find("longer than the test's 1000 ms") !=
                                   std::string::npos;
    EXPECT_TRUE(timed_out) << hostile_details.dump(1);
  }
  if (attack.spies) {
    std::ifstream in(task_dir() / hostile / "spy.txt");
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_NE(text.str().find("looked at"), std::string::npos) << "the spy never ran:\n"
                                                               << hostile_details.dump(1);
  }
  expect_no_escape(attack.name);
  if (programs.count(winner)) {
    EXPECT_EQ(programs.at(winner), kCorrect);
  }
}

INSTANTIATE_TEST_SUITE_P(BestOfNAdversarial, BestOfNAdversarialAttack,
                         ::testing::ValuesIn(attacks()),
                         [](const ::testing::TestParamInfo<Attack>& info) {
                           return info.param.name;
                         });

// A program test that checks a file: the hostile links its out.txt to a sibling's (the correct
// candidate's run of the same test, in the workspace next to its own on the host).
TEST_F(BestOfNAdversarialTest, ALinkToASiblingsOutputFileIsNotFollowed) {
  const char* correct =
      "a, b = map(int, input().split())\nwith open('out.txt', 'w') as f:\n    f.write(f'{a + "
      "b}\\n')\n";
  const char* linker = R"PY(import os
import re

me = None
for line in open("/proc/self/mountinfo"):
    fields = line.split()
    if fields[4] == "/workspace":
        me = os.path.basename(fields[3])
found = re.match(r"(.*)-(\d+)-test-(\d+)$", me or "")
if found:
    role, mine, test = found.groups()
    other = next(str(k) for k in range(1, 4) if str(k) != mine)
    os.symlink("../%s-%s-test-%s/out.txt" % (role, other, test), "out.txt")
    try:
        os.link("../%s-%s-test-%s/out.txt" % (role, other, test), "copy.txt")
    except OSError:
        pass
else:
    with open("out.txt", "w") as f:
        f.write("no idea\n")
)PY";
  load_answers({linker, correct});
  const json tests = json::array({{{"stdin", "20 22\n"}, {"expected_files", {{"out.txt", "42\n"}}}},
                                  {{"stdin", "1 2\n"}, {"expected_files", {{"out.txt", "3\n"}}}}});
  json s = spec(2, tests);
  s["prompt"] = "Read two integers and write their sum to out.txt.";
  TaskResult result = run(s);
  ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error << result.details.dump(1);
  EXPECT_EQ(result.answer, correct);
  const std::string winner = result.details.value("winner", "");
  bool linked = false;
  for (const auto& [agent, data] : tested_by_agent()) {
    if (agent == winner) continue;
    EXPECT_EQ(data["passed"], 0) << candidate_details(result, agent).dump(1);
    linked = fs::is_symlink(task_dir() / (agent + "-test-1") / "out.txt");
  }
  EXPECT_TRUE(linked) << "the attack did not plant its link";
  expect_no_escape("link to a sibling's output");
}

// Correct, wrong and hostile candidates, answered in shuffled orders: the same program wins
// every time, the shorter of two correct ones that behave alike; no hostile passes a test.
TEST_F(BestOfNAdversarialTest, TheSameCorrectAnswerWinsInEveryOrder) {
  std::vector<std::string> codes = {kCorrectLonger, kCorrect, kWrong};
  std::vector<std::string> hostile_names = {
      "OsExitZeroOnCall",          "PrintsPassMarkersAtImport", "AlwaysEqualObjects",
      "SubclassedBuiltins",        "PatchesTheTestHelpers",     "ReadsTheCallersFrames",
      "ForgesVerdictAndReplyLines"};
  std::vector<std::string> hostiles;
  for (const Attack& attack : attacks())
    if (std::find(hostile_names.begin(), hostile_names.end(), attack.name) != hostile_names.end())
      hostiles.push_back(attack.code);
  ASSERT_EQ(hostiles.size(), hostile_names.size());
  codes.insert(codes.end(), hostiles.begin(), hostiles.end());

  for (unsigned seed : {1u, 7u, 42u, 2024u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::vector<std::string> order = codes;
    std::mt19937 random(seed);
    std::shuffle(order.begin(), order.end(), random);
    load_answers(order);
    events_.events.clear();
    std::error_code ec;
    fs::remove_all(task_dir(), ec);
    const auto started = std::chrono::steady_clock::now();
    TaskResult result = run(spec(order.size(), tests(2000)));
    std::printf("mixed set, seed %u: %.2f s\n", seed,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    ASSERT_EQ(result.status, TaskStatus::succeeded) << result.error << result.details.dump(1);
    EXPECT_EQ(result.answer, kCorrect);
    EXPECT_EQ(result.details["selected_by"], "tests_then_behaviour");
    EXPECT_EQ(result.details["coverage"]["passed_all"], 2) << result.details.dump(1);
    ASSERT_FALSE(result.details["groups"].empty());
    EXPECT_EQ(result.details["groups"][0].size(), 2u) << result.details.dump(1);

    const auto programs = programs_by_agent();
    size_t hostile_seen = 0;
    for (const auto& [agent, data] : tested_by_agent()) {
      auto program = programs.find(agent);
      ASSERT_NE(program, programs.end()) << agent;
      if (std::find(hostiles.begin(), hostiles.end(), program->second) == hostiles.end()) continue;
      ++hostile_seen;
      EXPECT_EQ(data["passed"], 0) << program->second;
    }
    EXPECT_EQ(hostile_seen, hostiles.size());
    expect_no_escape("mixed set");
  }
}

}  // namespace
}  // namespace agents::testing
