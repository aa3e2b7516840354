"""The daemon's life: kill -9 in the middle of running tasks loses nothing that was accepted
(running tasks come back `interrupted` with their events, or run again when their spec asked
to resume); SIGTERM drains (no new work, running tasks finish up to the deadline, the rest
is cancelled, exit 0); SIGHUP reloads tokens without dropping connections."""
import asyncio
import json
import signal
import subprocess
import time
import unittest

import websockets

from harness import (AGENTD, TENANTS, Client, RpcError, Stack, http_get, missing_binaries,
                     sha256_hex)
from specs import check_sequence, fan_out_script, fan_out_spec


class LifecycleTest(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        missing = missing_binaries()
        if missing:
            self.skipTest("not built: " + ", ".join(missing))
        self.stack = None

    def tearDown(self):
        if self.stack:
            self.stack.close()

    def start(self, **options):
        self.stack = Stack(**options)
        self.stack.start()
        return self.stack

    async def test_kill_9_loses_no_accepted_task(self):
        stack = self.start()
        stack.llm.load(fan_out_script(worker_latency_ms=30_000))
        client = await Client.connect(stack)
        interrupted = [await client.submit(fan_out_spec()) for _ in range(3)]
        resumed = await client.submit(fan_out_spec(resume=True))
        for task_id in interrupted + [resumed]:
            await client.wait_state(task_id, {"running"})
        await client.call("task.subscribe", {"task_id": interrupted[0]})
        seen = [await asyncio.wait_for(client.queue(interrupted[0]).get(), 30) for _ in range(2)]
        await asyncio.sleep(0.3)  # let the journal's batch commit what was seen
        stack.kill9()
        await client.close()

        stack.llm.load(fan_out_script())  # the resumed task can now finish quickly
        stack.start()
        client = await Client.connect(stack)
        try:
            for task_id in interrupted:
                task = await client.call("task.get", {"task_id": task_id})
                self.assertEqual(task["state"], "interrupted", task_id)
                events = await client.follow(task_id, timeout=30)
                check_sequence(self, events, task_id)
                self.assertEqual(events[-1]["data"]["state"], "interrupted")
            replayed = (await client.follow(interrupted[0]))[:len(seen)]
            self.assertEqual(replayed, seen)
            events = await client.follow(resumed, timeout=60)
            check_sequence(self, events, resumed)
            self.assertEqual(events[-1]["data"]["state"], "succeeded")
            listed = {t["task_id"] for t in (await client.call("task.list", {"limit": 500}))["tasks"]}
            self.assertTrue(set(interrupted + [resumed]) <= listed)
        finally:
            await client.close()

    async def test_sigterm_drains_running_tasks_then_exits_0(self):
        stack = self.start(drain_seconds=30)
        stack.llm.load(fan_out_script(worker_latency_ms=1500))
        client = await Client.connect(stack)
        tasks = [await client.submit(fan_out_spec()) for _ in range(3)]
        for task_id in tasks:
            await client.wait_state(task_id, {"running"})
            await client.call("task.subscribe", {"task_id": task_id})
        stack.signal(signal.SIGTERM)
        await asyncio.sleep(0.2)
        # Draining: no new tasks, health says so, subscribed clients keep their events.
        with self.assertRaises((RpcError, ConnectionError)) as refused:
            await client.submit(fan_out_spec())
        if isinstance(refused.exception, RpcError):
            self.assertEqual(refused.exception.code, -32006)
        status, _ = http_get(stack.http + "/healthz", timeout=2)
        self.assertIn(status, (503, 0))
        for task_id in tasks:
            events = await client.drain_events(task_id, timeout=30)
            self.assertEqual(events[-1]["data"]["state"], "succeeded", task_id)
        self.assertEqual(stack.wait(30), 0)
        await client.close()
        stack.start()
        client = await Client.connect(stack)
        try:
            for task_id in tasks:
                self.assertEqual((await client.call("task.get", {"task_id": task_id}))["state"],
                                 "succeeded")
        finally:
            await client.close()

    async def test_sigterm_cancels_what_outlives_the_deadline(self):
        stack = self.start(drain_seconds=1)
        stack.llm.load(fan_out_script(worker_latency_ms=60_000))
        client = await Client.connect(stack)
        task_id = await client.submit(fan_out_spec())
        await client.wait_state(task_id, {"running"})
        started = time.monotonic()
        stack.signal(signal.SIGTERM)
        self.assertEqual(stack.wait(30), 0)
        self.assertLess(time.monotonic() - started, 20, "the drain deadline was not kept")
        await client.close()
        stack.start()
        client = await Client.connect(stack)
        try:
            task = await client.call("task.get", {"task_id": task_id})
            self.assertEqual(task["state"], "cancelled")
            events = await client.follow(task_id)
            check_sequence(self, events, task_id)
        finally:
            await client.close()

    async def test_sighup_reloads_tokens_without_dropping_connections(self):
        stack = self.start()
        client = await Client.connect(stack)
        with self.assertRaises(websockets.InvalidStatusCode):
            await websockets.connect(stack.url,
                                     extra_headers={"Authorization": "Bearer gamma-token"})
        with open(stack.config_path) as f:
            config = json.load(f)
        config["tenants"].append({"name": "gamma", "token_sha256": sha256_hex("gamma-token"),
                                  "policies": ["coder"]})
        # alpha's token is rotated out: its open connection stays, new ones are refused.
        config["tenants"][0]["token_sha256"] = sha256_hex("alpha-rotated")
        with open(stack.config_path, "w") as f:
            json.dump(config, f)
        stack.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while True:
            try:
                gamma = await websockets.connect(
                    stack.url, extra_headers={"Authorization": "Bearer gamma-token"})
                break
            except websockets.InvalidStatusCode:
                self.assertLess(time.monotonic(), deadline, "SIGHUP did not load the new token")
                await asyncio.sleep(0.1)
        await gamma.close()
        self.assertIn("version", await client.call("server.info", {}))
        with self.assertRaises(websockets.InvalidStatusCode):
            await websockets.connect(stack.url, extra_headers={
                "Authorization": "Bearer " + TENANTS["alpha"][0]})
        await client.close()
        self.assertTrue(stack.alive())

    def test_check_config_names_the_bad_key(self):
        stack = self.start()
        with open(stack.config_path) as f:
            config = json.load(f)
        ok = subprocess.run([AGENTD, "--check-config", "--config", stack.config_path],
                            capture_output=True, text=True, timeout=60)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        config["limits"]["max_batch"] = "many"
        bad_path = stack.config_path + ".bad"
        with open(bad_path, "w") as f:
            json.dump(config, f)
        bad = subprocess.run([AGENTD, "--check-config", "--config", bad_path],
                             capture_output=True, text=True, timeout=60)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("/limits/max_batch", bad.stdout + bad.stderr)


if __name__ == "__main__":
    unittest.main()
