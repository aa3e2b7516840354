"""Every example of docs/protocol.md, run in order against a live agentd (doc_examples.py
says how examples are written and compared).

    AGENTD=... AGENTCTL=... SCRIPTED_LLM=... /usr/bin/python3 test_protocol_docs.py --print

prints what the daemon actually sends for each example, to update the document."""
import asyncio
import json
import os
import re
import subprocess
import sys
import unittest

import websockets

import doc_examples
from harness import PYTHON, SOURCE_DIR, Client, StackTest
from specs import final_answer

DOC = os.path.join(SOURCE_DIR, "docs", "protocol.md")
RECEIVE_TIMEOUT = 60

# The scripted model behind the examples: one subtask, a worker that runs code once then
# answers, and workers that never answer in time for tasks whose prompt says "slow".
DOC_SCRIPT = {
    "roles": {
        "planner": {"default": final_answer({"subtasks": ["Count the words of: the quick brown fox"]})},
        "worker": {
            "match": [{"contains": "slow", "latency_ms": 600_000, **final_answer("late")}],
            "steps": [{"tool_calls": [{"name": "run_code", "arguments": {
                "language": "python", "code": "print(len('the quick brown fox'.split()))"}}]},
                      final_answer("4")],
            "default": final_answer("4")},
        "reducer": {"default": final_answer("The text has 4 words.")},
    }
}


class Runner:
    def __init__(self, stack, record=False):
        self.stack = stack
        self.bindings = doc_examples.Bindings()
        self.record = record
        self.transcript = []

    async def run(self, example):
        tenant = example.attributes.get("tenant", "alpha")
        ws = await websockets.connect(
            self.stack.url, max_size=64 << 20,
            extra_headers={"Authorization": "Bearer " + self.stack.token(tenant)})
        try:
            if "flood" in example.attributes:
                await self.flood(ws, example)
            else:
                for kind, value in example.steps:
                    await self.step(ws, kind, value)
        finally:
            await ws.close()

    async def step(self, ws, kind, value):
        if kind == "send":
            value = self.bindings.substitute(value)
            text = value if isinstance(value, str) else json.dumps(value)
            self.transcript.append("→ " + text)
            await ws.send(text)
        elif kind == "binary":
            await ws.send(json.dumps(self.bindings.substitute(value)).encode())
        elif kind == "expect":
            actual = json.loads(await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT))
            self.transcript.append("← " + json.dumps(actual, indent=2))
            if not self.record:
                self.bindings.match(value, actual)
            else:
                try:
                    self.bindings.match(value, actual)
                except doc_examples.Mismatch as mismatch:
                    self.transcript.append(f"   MISMATCH {mismatch}")
        elif kind == "wait":
            shown_id, state = value
            client = await Client.connect(self.stack)
            try:
                await client.wait_state(self.bindings.substitute(shown_id), {state}, timeout=60)
            finally:
                await client.close()
        elif kind == "signal":
            self.stack.signal(doc_examples.SIGNALS[value])
            await asyncio.sleep(0.3)

    async def flood(self, ws, example):
        (_, request), (_, expected) = example.steps
        count = int(example.attributes["flood"])
        text = json.dumps(self.bindings.substitute(request))
        for _ in range(count):
            await ws.send(text)
        errors = []
        for _ in range(count):
            answer = json.loads(await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT))
            if "error" in answer:
                errors.append(answer)
        if not errors:
            raise doc_examples.Mismatch(f"{count} requests at once were all answered")
        self.transcript.append("← " + json.dumps(errors[0], indent=2))
        self.bindings.match(expected, errors[0])


class ProtocolDocTest(StackTest):
    stack_options = {"drain_seconds": 2}

    async def test_every_example(self):
        with open(DOC) as f:
            examples = doc_examples.parse(f.read())
        self.assertGreaterEqual(len(examples), 20, "protocol.md lost its examples")
        self.load_script(DOC_SCRIPT)
        runner = Runner(self.stack)
        for example in examples:
            with self.subTest(example=repr(example)):
                runner.transcript = []
                try:
                    await runner.run(example)
                except (doc_examples.Mismatch, asyncio.TimeoutError,
                        websockets.ConnectionClosed) as failure:
                    self.fail(f"{example}: {failure!r}\nwhat the daemon said:\n" +
                              "\n".join(runner.transcript))

class CoverageTest(unittest.TestCase):
    """No daemon needed: the document covers every method and error code."""

    def test_every_method_and_error_code_has_an_example(self):
        with open(DOC) as f:
            examples = doc_examples.parse(f.read())
        methods, codes = set(), set()
        for example in examples:
            for kind, value in example.steps:
                if kind in ("send", "binary") and isinstance(value, dict):
                    methods.add(value.get("method"))
                for answer in (value if isinstance(value, list) else [value]):
                    if kind == "expect" and isinstance(answer, dict) and "error" in answer:
                        codes.add(answer["error"]["code"])
        self.assertLessEqual({"task.submit", "task.subscribe", "task.unsubscribe", "task.get",
                              "task.list", "task.cancel", "task.feedback", "exec.run",
                              "policy.list", "server.info"}, methods)
        self.assertLessEqual({-32700, -32600, -32601, -32602, -32002, -32003, -32004, -32005,
                              -32006, -32007}, codes)


class PythonClientDocTest(StackTest):
    """The Python client of protocol.md, run as a program against its own daemon."""

    def test_the_python_example_runs(self):
        with open(DOC) as f:
            blocks = re.findall(r"^```python\n(.*?)^```", f.read(), re.M | re.S)
        self.assertEqual(len(blocks), 1)
        self.load_script(DOC_SCRIPT)
        done = subprocess.run([PYTHON, "-c", blocks[0]], capture_output=True, text=True,
                              timeout=120, env=dict(os.environ, AGENTD_URL=self.stack.url,
                                                    AGENTD_TOKEN=self.stack.token()))
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.splitlines()
        self.assertEqual(lines[-1], "The text has 4 words.")
        self.assertRegex(lines[-2], r"^\d+ task.finished")


async def print_transcripts():
    """--print: run every example and show what the daemon sent."""
    from harness import Stack
    stack = Stack(drain_seconds=2)
    try:
        stack.start()
        stack.llm.load(DOC_SCRIPT)
        with open(DOC) as f:
            examples = doc_examples.parse(f.read())
        runner = Runner(stack, record=True)
        for example in examples:
            runner.transcript = []
            try:
                await runner.run(example)
            except Exception as error:  # noqa: BLE001  (a report, not a test)
                runner.transcript.append(f"   FAILED {error!r}")
            print(f"===== {example} {example.attributes}")
            print("\n".join(runner.transcript))
    finally:
        stack.close()


if __name__ == "__main__":
    if "--print" in sys.argv:
        asyncio.run(print_transcripts())
    else:
        unittest.main()
