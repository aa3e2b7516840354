"""agentctl end to end: every command, human and --json output, exit statuses, the unix
socket, and --follow surviving dropped connections (through a proxy that cuts them)."""
import asyncio
import json
import os
import shutil
import tempfile
import unittest

from harness import AGENTCTL, Client, StackTest, free_port
from specs import check_sequence, fan_out_script, fan_out_spec, final_answer


class Proxy:
    """Forwards TCP connections to the daemon; drop() cuts every open one."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.port = free_port()
        self.writers = []
        self.connections = 0

    async def start(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(self, reader, writer):
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers += [writer, up_writer]
        self.connections += 1  # only now can drop() cut it

        async def pipe(source, sink):
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.close()
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def drop(self):
        for writer in self.writers:
            writer.transport.abort()
        self.writers = []

    async def close(self):
        self.drop()
        self.server.close()
        await self.server.wait_closed()


class AgentctlTest(StackTest):
    def setUp(self):
        self.files = tempfile.mkdtemp(prefix="agentctl-it-")
        self.addCleanup(shutil.rmtree, self.files, ignore_errors=True)

    def write(self, name, content):
        path = os.path.join(self.files, name)
        with open(path, "w") as f:
            f.write(content if isinstance(content, str) else json.dumps(content))
        return path

    async def agentctl(self, *args, tenant="alpha", stdin=None, server=None, timeout=120):
        env = dict(os.environ, AGENTD_SERVER=server or self.stack.url,
                   AGENTD_TOKEN=self.stack.token(tenant))
        env.pop("AGENTD_TOKEN_FILE", None)
        process = await asyncio.create_subprocess_exec(
            AGENTCTL, *args, env=env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(
            process.communicate(stdin.encode() if stdin else None), timeout)
        return process.returncode, out.decode(), err.decode()

    async def test_submit_follow_human(self):
        self.load_script(fan_out_script())
        status, out, err = await self.agentctl("submit", self.write("t.json", fan_out_spec()),
                                               "--follow")
        self.assertEqual(status, 0, err)
        self.assertIn("task.finished  succeeded", out)
        self.assertTrue(out.rstrip().endswith("merged answer"), out)
        self.assertIn("submitted", err)

    async def test_submit_follow_json_from_stdin(self):
        self.load_script(fan_out_script())
        status, out, err = await self.agentctl("submit", "-", "--follow", "--json",
                                               stdin=json.dumps(fan_out_spec()))
        self.assertEqual(status, 0, err)
        events = [json.loads(line) for line in out.splitlines()]
        check_sequence(self, events, events[0]["task_id"])
        self.assertEqual(events[-1]["data"]["result"]["answer"], "merged answer")

    async def test_a_failed_task_exits_1(self):
        script = fan_out_script()
        script["roles"]["planner"]["default"] = final_answer("not a plan")
        self.load_script(script)
        status, out, err = await self.agentctl("submit", self.write("t.json", fan_out_spec()),
                                               "--follow")
        self.assertEqual(status, 1, out + err)
        self.assertIn("task.finished  failed", out)

    async def test_get_list_cancel_feedback(self):
        self.load_script(fan_out_script(worker_latency_ms=60_000))
        status, out, err = await self.agentctl("submit", self.write("t.json", fan_out_spec()))
        self.assertEqual(status, 0, err)
        task_id = out.strip()
        client = await Client.connect(self.stack)
        try:
            await client.wait_state(task_id, {"running"})
        finally:
            await client.close()

        status, out, _ = await self.agentctl("get", task_id, "--json")
        self.assertEqual((status, json.loads(out)["state"]), (0, "running"))
        status, out, _ = await self.agentctl("list", "--state", "running")
        self.assertEqual(status, 0)
        self.assertIn(task_id, out)
        self.assertTrue(out.startswith("TASK"))
        status, out, _ = await self.agentctl("list", "--json", "--limit", "500")
        self.assertIn(task_id, [json.loads(line)["task_id"] for line in out.splitlines()])
        status, out, _ = await self.agentctl("feedback", task_id, "--agent", "*", "keep going")
        self.assertEqual(status, 0)
        self.assertRegex(out, r"delivered to \d+ agent")
        status, out, _ = await self.agentctl("cancel", task_id)
        self.assertEqual(status, 0)
        self.assertIn(task_id, out)
        status, out, _ = await self.agentctl("get", task_id)
        self.assertEqual(status, 0)
        self.assertRegex(out, r"state\s+(cancelled|running)")
        client = await Client.connect(self.stack)
        try:
            await client.wait_state(task_id, {"cancelled"})
        finally:
            await client.close()
        status, _, err = await self.agentctl("cancel", task_id)
        self.assertEqual(status, 4, err)
        self.assertIn("-32005", err)

    async def test_exec(self):
        status, out, err = await self.agentctl(
            "exec", "--policy", "coder", "--language", "python", "-", stdin="print(6*7)")
        self.assertEqual((status, out), (0, "42\n"), err)
        status, out, err = await self.agentctl(
            "exec", "--policy", "coder", "--language", "python", "--json",
            self.write("fail.py", "import sys; print('bye', file=sys.stderr); sys.exit(4)"))
        self.assertEqual(status, 1)
        result = json.loads(out)
        self.assertEqual((result["exit_code"], result["stderr"]), (4, "bye\n"))
        status, _, err = await self.agentctl(
            "exec", "--policy", "coder", "--language", "python",
            "--stdin", self.write("in.txt", "abc"), self.write("cat.py", "print(input()[::-1])"))
        self.assertEqual(status, 0, err)

    async def test_terminal_control_sequences_are_neutralised(self):
        status, out, _ = await self.agentctl(
            "exec", "--policy", "coder", "--language", "python", "-",
            stdin="print('\\x1b]0;owned\\x07\\x1b[2J hello')")
        self.assertEqual(status, 0)
        self.assertNotIn("\x1b", out)
        self.assertIn("hello", out)

    async def test_policies_and_info(self):
        status, out, _ = await self.agentctl("policies")
        self.assertEqual(status, 0)
        self.assertTrue(out.startswith("POLICY"))
        self.assertIn("coder", out)
        status, out, _ = await self.agentctl("policies", "--json", tenant="beta")
        self.assertEqual([p["name"] for p in json.loads(out)["policies"]], ["coder"])
        status, out, _ = await self.agentctl("info", "--json")
        self.assertEqual(status, 0)
        self.assertIn("fan_out", json.loads(out)["patterns"])

    async def test_unix_socket(self):
        status, out, err = await self.agentctl("info", "--json",
                                               server="unix:" + self.stack.unix_path)
        self.assertEqual(status, 0, err)
        self.assertIn("version", json.loads(out))

    async def test_exit_statuses(self):
        status, _, err = await self.agentctl("get")
        self.assertEqual(status, 2, err)
        status, _, err = await self.agentctl("submit", self.write("bad.json", "{nope"))
        self.assertEqual(status, 2, err)
        status, _, err = await self.agentctl("submit", self.write("bad.json", {"pattern": "x"}))
        self.assertEqual(status, 2, err)
        self.assertIn("-32602", err)
        status, _, err = await self.agentctl("get", "t_unknown")
        self.assertEqual(status, 4, err)
        env_server = "ws://127.0.0.1:%d/v1/ws" % free_port()
        status, _, err = await self.agentctl("info", server=env_server)
        self.assertEqual(status, 3, err)
        process = await asyncio.create_subprocess_exec(
            AGENTCTL, "info", "--server", self.stack.url, "--token", "wrong",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await process.communicate()
        self.assertEqual(process.returncode, 3)
        self.assertIn("401", err.decode())

    async def test_follow_survives_dropped_connections(self):
        proxy = Proxy(self.stack.port)
        await proxy.start()
        try:
            script = fan_out_script(subtasks=[f"part {i}" for i in range(8)],
                                    worker_latency_ms=400)
            # The reducer is slow: the task is still running after the last cut.
            script["roles"]["reducer"]["default"]["latency_ms"] = 1500
            self.load_script(script)
            process = await asyncio.create_subprocess_exec(
                AGENTCTL, "submit", self.write("t.json", fan_out_spec()), "--follow", "--json",
                env=dict(os.environ, AGENTD_SERVER=f"ws://127.0.0.1:{proxy.port}/v1/ws",
                         AGENTD_TOKEN=self.stack.token()),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            lines = []
            drops, next_drop, connections_cut, cuts = 0, 3, 0, []
            while line := await asyncio.wait_for(process.stdout.readline(), 120):
                lines.append(json.loads(line))
                # Cut the connection mid-stream, three times, each time once agentctl has
                # connected again and printed a few more events.
                if drops < 3 and len(lines) >= next_drop and proxy.connections > connections_cut:
                    connections_cut = proxy.connections
                    cuts.append((len(lines), lines[-1]["type"], proxy.connections))
                    proxy.drop()
                    drops += 1
                    next_drop = len(lines) + 2
            status = await process.wait()
            err = (await process.stderr.read()).decode()
        finally:
            await proxy.close()
        self.assertEqual(status, 0, err)
        self.assertEqual(drops, 3, "the task ended before the connection could be cut")
        check_sequence(self, lines, lines[0]["task_id"])
        self.assertEqual(lines[-1]["type"], "task.finished")
        # At least the first two cuts came while the task ran (the slow reducer was still to
        # come), so agentctl connected again after each; the third may find it done.
        self.assertGreaterEqual(proxy.connections, 3, f"cuts {cuts} of {len(lines)} events: {err}")


if __name__ == "__main__":
    unittest.main()
