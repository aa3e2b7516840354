"""Runs the examples of docs/protocol.md against a live agentd and compares what the daemon
sends with what the document shows.

An example is a fenced block whose info string starts with `jsonrpc`:

    ```jsonrpc tenant=beta
    → {"jsonrpc": "2.0", "id": 1, "method": "policy.list", "params": {}}
    ← {"jsonrpc": "2.0", "id": 1, "result": {...}}
    ```

`→` is sent (JSON, pretty-printed over several lines if need be; a line that is not JSON is
sent as raw text; `→ (binary) ...` as a binary frame); each `←` must be the next message
received, in order. Every block runs on its own connection (attributes: tenant=NAME;
flood=N sends the one `→` N times at once and expects the `←` among the answers).
`# signal SIGTERM` sends the daemon a signal; `# wait until t_1 is succeeded` polls
task.get (on another connection) until that task is in that state.

Comparison is exact except for what varies from run to run (VOLATILE keys: only their JSON
type is checked; numbers inside error messages) and task ids: the first time the document
shows an id, it is bound to the daemon's, and later examples (and messages) use it. An object with a "..." key may hold more keys than
shown; a list ending in "..." may hold more items.
"""
import json
import re
import signal

VOLATILE = {"at", "created_at", "started_at", "finished_at", "wall_ms", "cpu_ms",
            "peak_memory_bytes", "retry_after_ms", "version",
            "cgroup_version", "gpus",  # facts of the host the test runs on
            "chars"}  # the length of a tool result that holds timings
ID_KEYS = {"task_id", "next", "before"}
ELLIPSIS = "..."

DIGITS = re.compile(r"\d+")
BLOCK = re.compile(r"^```jsonrpc([^\n]*)\n(.*?)^```", re.M | re.S)


class Example:
    def __init__(self, number, line, attributes, steps):
        self.number, self.line, self.attributes, self.steps = number, line, attributes, steps

    def __repr__(self):
        return f"example {self.number} (protocol.md line {self.line})"


def parse(text):
    """The examples of a document, in order."""
    examples = []
    for number, match in enumerate(BLOCK.finditer(text), 1):
        attributes = dict(a.split("=", 1) for a in match.group(1).split() if "=" in a)
        line = text.count("\n", 0, match.start()) + 1
        examples.append(Example(number, line, attributes, parse_steps(match.group(2))))
    return examples


def parse_steps(body):
    """[(kind, value)]: ("send", json | str), ("binary", json), ("expect", json),
    ("signal", name), ("wait", (task id, state))."""
    steps, current = [], None
    for raw in body.splitlines():
        if raw.startswith(("→", "←", "#")):
            if current:
                steps.append(finish(*current))
            current = None
            if raw.startswith("# signal "):
                steps.append(("signal", raw.split()[2]))
            elif raw.startswith("# wait until "):  # "# wait until t_1 is succeeded"
                words = raw.split()
                steps.append(("wait", (words[3], words[5])))
            elif not raw.startswith("#"):
                current = [raw[0], raw[1:].strip()]
        elif current:
            current[1] += "\n" + raw
    if current:
        steps.append(finish(*current))
    return steps


def finish(arrow, text):
    if arrow == "←":
        return ("expect", json.loads(text))
    if text.startswith("(binary) "):
        return ("binary", json.loads(text[len("(binary) "):]))
    try:
        return ("send", json.loads(text))
    except ValueError:
        return ("send", text)  # raw text, sent as is


class Mismatch(AssertionError):
    pass


class Bindings:
    """Document task ids → the daemon's."""

    def __init__(self):
        self.ids = {}

    def substitute(self, value):
        if isinstance(value, str):
            return self.ids.get(value, value)
        if isinstance(value, list):
            return [self.substitute(v) for v in value]
        if isinstance(value, dict):
            return {k: self.substitute(v) for k, v in value.items()}
        return value

    def within(self, text):
        """`text` with every bound task id in it replaced by the daemon's."""
        for shown_id, actual_id in self.ids.items():
            text = text.replace(shown_id, actual_id)
        return text

    def match(self, shown, actual, path="", key=None):
        if key in VOLATILE:
            if type(shown) is not type(actual) and not (is_number(shown) and is_number(actual)):
                raise Mismatch(f"{path}: the document shows {shown!r}, the daemon sent {actual!r}")
            return
        if key in ID_KEYS and isinstance(shown, str) and isinstance(actual, str):
            bound = self.ids.setdefault(shown, actual)
            if bound != actual:
                raise Mismatch(f"{path}: {shown} stands for {bound}, the daemon sent {actual}")
            return
        if isinstance(shown, dict) and isinstance(actual, dict):
            return self.match_object(shown, actual, path)
        if isinstance(shown, list) and isinstance(actual, list):
            return self.match_list(shown, actual, path)
        if isinstance(shown, str) and isinstance(actual, str):
            shown = self.within(shown)
            if key == "message":  # limits and waits in messages vary: compare their words
                shown, actual_words = DIGITS.sub("0", shown), DIGITS.sub("0", actual)
                if shown == actual_words:
                    return
        if shown != actual or type(shown) is not type(actual) and not is_number(shown):
            raise Mismatch(f"{path or '/'}: the document shows {json.dumps(shown)}, the daemon "
                           f"sent {json.dumps(actual)}")

    def match_object(self, shown, actual, path):
        open_ended = ELLIPSIS in shown
        keys = set(shown) - {ELLIPSIS}
        missing = keys - set(actual)
        extra = set(actual) - keys
        if missing:
            raise Mismatch(f"{path or '/'}: the daemon sent no {sorted(missing)} "
                           f"(it sent {json.dumps(actual)[:400]})")
        if extra and not open_ended:
            raise Mismatch(f"{path or '/'}: the document does not show {sorted(extra)}: "
                           f"{json.dumps({k: actual[k] for k in sorted(extra)})[:400]}")
        for k in sorted(keys):
            self.match(shown[k], actual[k], f"{path}/{k}", k)

    def match_list(self, shown, actual, path):
        open_ended = bool(shown) and shown[-1] == ELLIPSIS
        items = shown[:-1] if open_ended else shown
        if len(actual) < len(items) or (not open_ended and len(actual) != len(items)):
            raise Mismatch(f"{path or '/'}: the document shows {len(items)} items, the daemon "
                           f"sent {len(actual)}: {json.dumps(actual)[:600]}")
        for i, item in enumerate(items):
            self.match(item, actual[i], f"{path}/{i}")


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


SIGNALS = {"SIGTERM": signal.SIGTERM, "SIGHUP": signal.SIGHUP}
