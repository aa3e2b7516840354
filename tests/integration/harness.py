"""The integration tests' stack: the scripted LLM server, agentd on a free port (and a unix
socket) with a configuration written for the test, and a JSON-RPC client built on Python's
`websockets` library, a client nobody on this project wrote.

Paths come from the environment (tests/integration/CMakeLists.txt sets them):
AGENTD, AGENTCTL, SCRIPTED_LLM (server.py), AGENTD_SOURCE_DIR.
"""
import asyncio
import hashlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import websockets

AGENTD = os.environ.get("AGENTD", "")
AGENTCTL = os.environ.get("AGENTCTL", "")
SCRIPTED_LLM = os.environ.get("SCRIPTED_LLM", "")
SOURCE_DIR = os.environ.get("AGENTD_SOURCE_DIR", os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))
PYTHON = "/usr/bin/python3"

FINAL_STATES = {"succeeded", "failed", "cancelled", "interrupted", "budget_exhausted"}
TENANTS = {
    # name: (token, policies, quotas)
    "alpha": ("alpha-token-0123456789", ["*"],
              {"concurrent_tasks": 64, "agents": 100_000, "sandboxes": 8}),
    "beta": ("beta-token-9876543210", ["coder"],
             {"concurrent_tasks": 4, "agents": 1000, "sandboxes": 2}),
    "solo": ("solo-token-1111111111", ["coder"], {"concurrent_tasks": 1, "sandboxes": 1}),
}


def missing_binaries():
    """Names of what the tests need and the build or the machine lacks (also printed, in the
    words CMakeLists.txt's SKIP_REGULAR_EXPRESSION looks for)."""
    missing = []
    for name, path in (("agentd", AGENTD), ("agentctl", AGENTCTL),
                       ("scripted LLM server", SCRIPTED_LLM)):
        if not path or not os.path.exists(path):
            missing.append(f"{name} ({path or 'path not set'})")
    if missing:
        print("integration: not built: " + ", ".join(missing), file=sys.stderr)
    return missing


def sha256_hex(text):
    return hashlib.sha256(text.encode()).hexdigest()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url, timeout=5):
    """(status, body text) of a GET; status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except (OSError, urllib.error.URLError):
        return 0, ""


class ScriptedLlm:
    """tests/fixtures/scripted_llm/server.py on a port of its choosing."""

    def __init__(self, latency_ms=0):
        self.process = subprocess.Popen(
            [PYTHON, SCRIPTED_LLM, "--port", "0", "--latency-ms", str(latency_ms),
             "--exit-on-stdin-eof"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            self.process.kill()
            raise RuntimeError(f"the scripted LLM server printed {line!r}, not its port")
        self.port = int(line)
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def load(self, script):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/_script",
                                         data=json.dumps(script).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200, response.read()

    def log(self):
        _, body = http_get(f"http://127.0.0.1:{self.port}/_log")
        return json.loads(body)["requests"]

    def stop(self):
        if self.process.poll() is None:
            self.process.stdin.close()  # --exit-on-stdin-eof
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Stack:
    """agentd with the scripted LLM server, in a private temporary directory."""

    def __init__(self, limits=None, drain_seconds=10, latency_ms=0, extra_config=None,
                 repositories=None):
        self.dir = tempfile.mkdtemp(prefix="agentd-it-")
        # Sandboxes run as unprivileged host ids and bind their workspace from below this
        # directory: they must be able to traverse it (not list it), as with /var/lib/agentd.
        os.chmod(self.dir, 0o711)
        self.llm = ScriptedLlm(latency_ms)
        self.port = free_port()
        self.unix_path = os.path.join(self.dir, "agentd.sock")
        self.config_path = os.path.join(self.dir, "agentd.json")
        self.log_path = os.path.join(self.dir, "agentd.log")
        # Repository tasks: the host paths (globs) every tenant may name, under self.dir/repos.
        self.repos = os.path.join(self.dir, "repos")
        self.config = self._config(limits or {}, drain_seconds, extra_config or {})
        if repositories:
            os.makedirs(self.repos)
            for tenant in self.config["tenants"]:
                tenant["repositories"] = [os.path.join(self.repos, glob) for glob in repositories]
        with open(self.config_path, "w") as f:
            json.dump(self.config, f, indent=2)
        self.process = None
        self.starts = 0

    def _config(self, limits, drain_seconds, extra):
        os.makedirs(os.path.join(self.dir, "ids"), exist_ok=True)
        os.makedirs(os.path.join(self.dir, "workspaces"), mode=0o711, exist_ok=True)
        os.chmod(os.path.join(self.dir, "workspaces"), 0o711)
        config = {
            "listen": {"address": "127.0.0.1", "port": self.port, "unix": self.unix_path},
            "journal": {"path": os.path.join(self.dir, "journal.db"), "retention_days": 30},
            "models": [{"name": "scripted", "base_url": self.llm.base_url, "model": "scripted-model",
                        "timeout": 20, "max_retries": 2}],
            "tenants": [{"name": name, "token_sha256": sha256_hex(token), "policies": policies,
                         "quotas": quotas}
                        for name, (token, policies, quotas) in TENANTS.items()],
            "limits": limits,
            "shutdown": {"drain_seconds": drain_seconds},
            "sandbox": {"id_lock_dir": os.path.join(self.dir, "ids"),
                        "workspace_root": os.path.join(self.dir, "workspaces"),
                        "first_host_id": 2000500000, "host_id_count": 200},
        }
        config.update(extra)
        return config

    # --- the daemon -------------------------------------------------------------------------

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/v1/ws"

    @property
    def http(self):
        return f"http://127.0.0.1:{self.port}"

    def token(self, tenant="alpha"):
        return TENANTS[tenant][0]

    def start(self, timeout=30):
        self.starts += 1
        log = open(self.log_path, "a")
        log.write(f"\n===== start {self.starts} =====\n")
        log.flush()
        self.process = subprocess.Popen([AGENTD, "--config", self.config_path],
                                        stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"agentd exited with {self.process.returncode}:\n{self.log_tail()}")
            status, _ = http_get(self.http + "/healthz", timeout=1)
            if status == 200:
                return self
            time.sleep(0.05)
        raise RuntimeError(f"agentd did not answer /healthz within {timeout} s:\n{self.log_tail()}")

    def signal(self, sig):
        self.process.send_signal(sig)

    def wait(self, timeout):
        """The exit status; raises subprocess.TimeoutExpired."""
        return self.process.wait(timeout)

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines=60):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def pid_rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def close(self):
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.llm.stop()
        if os.environ.get("AGENTD_KEEP_TEST_DIRS"):
            print(f"kept {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- agentctl ---------------------------------------------------------------------------

    def agentctl(self, *args, tenant="alpha", stdin=None, timeout=120, env=None):
        """(exit status, stdout, stderr) of agentctl against this daemon."""
        environment = dict(os.environ, AGENTD_SERVER=self.url, AGENTD_TOKEN=self.token(tenant))
        environment.pop("AGENTD_TOKEN_FILE", None)
        environment.update(env or {})
        done = subprocess.run([AGENTCTL, *args], input=stdin, capture_output=True, text=True,
                              timeout=timeout, env=environment)
        return done.returncode, done.stdout, done.stderr


class RpcError(Exception):
    def __init__(self, error):
        super().__init__(f"{error.get('code')}: {error.get('message')} {error.get('data', '')}")
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data")
        self.error = error


class Client:
    """A JSON-RPC 2.0 client on one WebSocket. Responses are matched by id; task.event
    notifications are queued per task, in arrival order."""

    def __init__(self, ws):
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending = {}
        self.events = {}  # task_id -> asyncio.Queue of task.event params
        self.other = asyncio.Queue()  # anything else the server sent
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, stack, tenant="alpha", token=None, unix=False, **kwargs):
        headers = {"Authorization": f"Bearer {token if token is not None else stack.token(tenant)}"}
        kwargs.setdefault("max_size", 64 << 20)
        if unix:
            ws = await websockets.unix_connect(stack.unix_path, "ws://localhost/v1/ws",
                                               extra_headers=headers, **kwargs)
        else:
            ws = await websockets.connect(stack.url, extra_headers=headers, **kwargs)
        return cls(ws)

    async def _read(self):
        try:
            async for frame in self.ws:
                message = json.loads(frame)
                self._dispatch(message)
        except websockets.ConnectionClosed:
            pass
        finally:
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("the connection closed"))

    def _dispatch(self, message):
        if isinstance(message, list):  # a batch response
            for item in message:
                self._dispatch(item)
            return
        if message.get("method") == "task.event":
            event = message["params"]
            self.queue(event["task_id"]).put_nowait(event)
        elif "id" in message and message["id"] in self.pending:
            self.pending.pop(message["id"]).set_result(message)
        else:
            self.other.put_nowait(message)

    def queue(self, task_id):
        return self.events.setdefault(task_id, asyncio.Queue())

    async def request(self, method, params=None, timeout=60):
        """The whole response object (result or error)."""
        request_id = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        message = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        await self.ws.send(json.dumps(message))
        return await asyncio.wait_for(future, timeout)

    async def call(self, method, params=None, timeout=60):
        response = await self.request(method, params, timeout)
        if "error" in response:
            raise RpcError(response["error"])
        return response["result"]

    async def send_raw(self, frame):
        """Sends a frame as is and returns the next message that is not a task.event."""
        await self.ws.send(frame)
        return await asyncio.wait_for(self.other.get(), 30)

    async def submit(self, spec, **extra):
        return (await self.call("task.submit", {"spec": spec, **extra}))["task_id"]

    async def follow(self, task_id, after_seq=0, timeout=120):
        """Subscribes and returns every event up to the task's task.finished."""
        await self.call("task.subscribe", {"task_id": task_id, "after_seq": after_seq})
        return await self.drain_events(task_id, timeout)

    async def drain_events(self, task_id, timeout=120):
        events = []
        queue = self.queue(task_id)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            event = await asyncio.wait_for(queue.get(), max(remaining, 0.01))
            events.append(event)
            if event["type"] == "task.finished":
                return events

    async def wait_state(self, task_id, states, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = await self.call("task.get", {"task_id": task_id})
            if task["state"] in states:
                return task
            await asyncio.sleep(0.05)
        raise TimeoutError(f"task {task_id} not in {states} after {timeout} s")

    async def close(self):
        await self.ws.close()
        self.reader.cancel()



class StackTest(unittest.IsolatedAsyncioTestCase):
    """One agentd for the test class; a connected client for tenant alpha per test.
    Skips (never passes silently) when the build lacks agentd, agentctl or the LLM server."""

    stack_options = {}

    @classmethod
    def setUpClass(cls):
        missing = missing_binaries()
        if missing:
            raise unittest.SkipTest("not built: " + ", ".join(missing))
        cls.stack = Stack(**cls.stack_options)
        try:
            cls.stack.start()
        except Exception:
            cls.stack.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()

    async def asyncSetUp(self):
        self.client = await Client.connect(self.stack)

    async def asyncTearDown(self):
        await self.client.close()

    def load_script(self, script):
        self.stack.llm.load(script)

    def assertAlive(self):
        self.assertTrue(self.stack.alive(), "agentd died:\n" + self.stack.log_tail())
