"""Every method of the protocol against a running agentd, driven by Python's websockets:
auth at the upgrade, server.info, policy.list, the task lifecycle (submit, subscribe, get,
list, cancel, feedback, unsubscribe), idempotency, subscribe-after-reconnect, /healthz and
/metrics."""
import asyncio
import re
import unittest

import websockets

from harness import Client, RpcError, StackTest, http_get
from specs import check_sequence, fan_out_script, fan_out_spec, final_answer

PATTERNS = {"fan_out", "dag", "best_of_n", "vote", "moa"}


class AuthTest(StackTest):
    async def test_missing_and_wrong_tokens_are_refused_with_401(self):
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic YTpi"},
                        {"Authorization": "Bearer " + self.stack.token() + "x"}):
            with self.subTest(headers=headers):
                with self.assertRaises(websockets.InvalidStatusCode) as caught:
                    await websockets.connect(self.stack.url, extra_headers=headers)
                self.assertEqual(caught.exception.status_code, 401)

    async def test_token_in_the_subprotocol_for_browsers(self):
        ws = await websockets.connect(
            self.stack.url, subprotocols=["agentd.v1", "agentd.bearer." + self.stack.token()])
        client = Client(ws)
        try:
            self.assertEqual(ws.subprotocol, "agentd.v1")
            info = await client.call("server.info", {})
            self.assertIn("version", info)
        finally:
            await client.close()

    async def test_unix_socket_speaks_the_same_protocol(self):
        client = await Client.connect(self.stack, unix=True)
        try:
            self.assertTrue((await client.call("policy.list", {}))["policies"])
        finally:
            await client.close()


class ServerTest(StackTest):
    async def test_server_info(self):
        info = await self.client.call("server.info", {})
        self.assertRegex(info["version"], r"^\d+\.\d+\.\d+")
        self.assertEqual(set(info["patterns"]), PATTERNS)
        self.assertIn("coder", info["policies"])
        self.assertIn(info["cgroup_version"], ("v1", "v2"))
        self.assertIsInstance(info["gpus"], list)
        self.assertIsInstance(info["limits"], dict)

    async def test_policy_list_shows_only_the_tenants_policies(self):
        alpha = {p["name"] for p in (await self.client.call("policy.list", {}))["policies"]}
        self.assertTrue({"coder", "researcher", "reviewer", "tester"} <= alpha, alpha)
        beta_client = await Client.connect(self.stack, "beta")
        try:
            beta = (await beta_client.call("policy.list", {}))["policies"]
        finally:
            await beta_client.close()
        self.assertEqual([p["name"] for p in beta], ["coder"])
        coder = beta[0]
        self.assertIn("run_code", coder["tools"])
        self.assertIsInstance(coder["description"], str)
        self.assertEqual(coder["gpu"], 0)

    def test_healthz(self):
        status, body = http_get(self.stack.http + "/healthz")
        self.assertEqual((status, body.strip()), (200, '{"status":"ok"}'))

    def test_metrics_are_prometheus_text(self):
        status, body = http_get(self.stack.http + "/metrics")
        self.assertEqual(status, 200)
        sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEIinfNa]+$')
        names = set()
        for line in body.splitlines():
            if not line or line.startswith("#"):
                continue
            self.assertRegex(line, sample)
            names.add(line.split("{")[0].split(" ")[0])
        self.assertTrue(any(n.endswith("_bucket") for n in names), "no histogram: " + str(names))
        self.assertIn("# TYPE", body)


class TaskLifecycleTest(StackTest):
    async def test_fan_out_task_from_submit_to_result(self):
        self.load_script(fan_out_script())
        submitted = await self.client.call("task.submit", {"spec": fan_out_spec()})
        self.assertEqual(submitted["state"], "queued")
        task_id = submitted["task_id"]
        events = await self.client.follow(task_id)
        check_sequence(self, events, task_id)
        types = [e["type"] for e in events]
        self.assertIn("task.state", types)
        self.assertEqual(types.count("task.finished"), 1)
        finished = events[-1]["data"]
        self.assertEqual(finished["state"], "succeeded")
        self.assertEqual(finished["result"]["answer"], "merged answer")

        task = await self.client.call("task.get", {"task_id": task_id})
        self.assertEqual(task["state"], "succeeded")
        self.assertEqual(task["last_seq"], len(events))
        self.assertEqual(task["result"]["answer"], "merged answer")
        self.assertEqual(task["spec"]["pattern"], "fan_out")
        for key in ("created_at", "started_at", "finished_at"):
            self.assertRegex(task[key], r"^\d{4}-\d\d-\d\dT")
        self.assertIsInstance(task["usage"], dict)

        listed = await self.client.call("task.list", {"state": "succeeded"})
        entry = next(t for t in listed["tasks"] if t["task_id"] == task_id)
        self.assertEqual(entry["pattern"], "fan_out")
        self.assertTrue(entry["prompt_preview"].startswith("Count the words"))

    async def test_subscribing_after_the_end_replays_everything(self):
        self.load_script(fan_out_script())
        task_id = await self.client.submit(fan_out_spec())
        first = await self.client.follow(task_id)
        again = await Client.connect(self.stack)
        try:
            replayed = await again.follow(task_id)
            later = await again.follow(task_id, after_seq=2)
        finally:
            await again.close()
        self.assertEqual(replayed, first)
        self.assertEqual(later, first[2:])

    async def test_subscribe_after_reconnect_misses_nothing(self):
        # Ten slow workers: the task is still running when the first connection goes away.
        self.load_script(fan_out_script(subtasks=[f"part {i}" for i in range(10)],
                                        worker_latency_ms=300))
        task_id = await self.client.submit(fan_out_spec())
        await self.client.call("task.subscribe", {"task_id": task_id})
        seen = [await asyncio.wait_for(self.client.queue(task_id).get(), 30) for _ in range(3)]
        await self.client.ws.close()  # dropped: whatever was in flight is lost to it

        second = await Client.connect(self.stack)
        try:
            state = await second.call("task.subscribe",
                                      {"task_id": task_id, "after_seq": seen[-1]["seq"]})
            self.assertNotIn(state["state"], ("succeeded", "failed"), "the task ended too soon")
            rest = await second.drain_events(task_id)
        finally:
            await second.close()
        events = seen + rest
        check_sequence(self, events, task_id)
        self.assertEqual(events[-1]["data"]["state"], "succeeded")

    async def test_unsubscribe_stops_the_events(self):
        self.load_script(fan_out_script(subtasks=["a", "b"], worker_latency_ms=1500))
        task_id = await self.client.submit(fan_out_spec())
        await self.client.call("task.subscribe", {"task_id": task_id})
        await asyncio.wait_for(self.client.queue(task_id).get(), 30)
        self.assertEqual(await self.client.call("task.unsubscribe", {"task_id": task_id}), {})
        await self.client.wait_state(task_id, {"succeeded"}, timeout=60)
        queue = self.client.queue(task_id)
        leftovers = [queue.get_nowait() for _ in range(queue.qsize())]
        self.assertFalse([e for e in leftovers if e["type"] == "task.finished"], leftovers)

    async def test_idempotency_key_returns_the_same_task(self):
        self.load_script(fan_out_script())
        first = await self.client.submit(fan_out_spec(), idempotency_key="it-key-1")
        second = await self.client.submit(fan_out_spec(), idempotency_key="it-key-1")
        third = await self.client.submit(fan_out_spec(), idempotency_key="it-key-2")
        self.assertEqual(first, second)
        self.assertNotEqual(first, third)

    async def test_cancel_a_running_task(self):
        self.load_script(fan_out_script(worker_latency_ms=60_000))
        task_id = await self.client.submit(fan_out_spec())
        await self.client.wait_state(task_id, {"running"})
        cancelled = await self.client.call("task.cancel", {"task_id": task_id})
        self.assertEqual(cancelled["task_id"], task_id)
        events = await self.client.follow(task_id, timeout=30)
        self.assertEqual(events[-1]["data"]["state"], "cancelled")
        with self.assertRaises(RpcError) as again:
            await self.client.call("task.cancel", {"task_id": task_id})
        self.assertEqual(again.exception.code, -32005)
        with self.assertRaises(RpcError) as feedback:
            await self.client.call("task.feedback", {"task_id": task_id, "message": "late"})
        self.assertEqual(feedback.exception.code, -32005)

    async def test_feedback_reaches_the_agents_next_turn(self):
        # The worker first lists files (one slow turn), then answers: feedback sent during
        # the first turn must appear in its second request to the model.
        script = fan_out_script(subtasks=["only part"])
        script["roles"]["worker"] = {"steps": [
            {"latency_ms": 1500, "tool_calls": [
                {"name": "list_files", "arguments": {"path": "."}}]},
            final_answer("done")]}
        self.load_script(script)
        task_id = await self.client.submit(fan_out_spec())
        await self.client.call("task.subscribe", {"task_id": task_id})
        events = []
        while not any(e["type"] == "agent.started" and "worker" in e.get("agent_id", "")
                      for e in events):
            events.append(await asyncio.wait_for(self.client.queue(task_id).get(), 30))
        worker = events[-1]["agent_id"]
        result = await self.client.call("task.feedback", {
            "task_id": task_id, "message": "please hurry", "agent_id": worker})
        self.assertEqual(result["delivered_to"], 1)
        events += await self.client.drain_events(task_id)
        check_sequence(self, events, task_id)
        self.assertEqual(events[-1]["data"]["state"], "succeeded")
        worker_requests = [r for r in self.stack.llm.log() if r["role"] == "worker"]
        self.assertEqual(len(worker_requests), 2)
        self.assertNotIn("please hurry", str(worker_requests[0]["request"]["messages"]))
        self.assertIn("please hurry", str(worker_requests[1]["request"]["messages"]))
        # Feedback to an agent that does not exist reaches nobody.
        self.load_script(fan_out_script(worker_latency_ms=60_000))
        slow = await self.client.submit(fan_out_spec())
        await self.client.wait_state(slow, {"running"})
        result = await self.client.call("task.feedback", {
            "task_id": slow, "message": "x", "agent_id": "no-such-agent"})
        self.assertEqual(result["delivered_to"], 0)
        await self.client.call("task.cancel", {"task_id": slow})

    async def test_unknown_ids_and_methods(self):
        for method, params in (("task.get", {"task_id": "t_nope"}),
                               ("task.subscribe", {"task_id": "t_nope"}),
                               ("task.cancel", {"task_id": "t_nope"}),
                               ("task.feedback", {"task_id": "t_nope", "message": "hi"})):
            with self.subTest(method=method):
                response = await self.client.request(method, params)
                self.assertEqual(response["error"]["code"], -32004, response)
        response = await self.client.request("task.explode", {})
        self.assertEqual(response["error"]["code"], -32601)

    async def test_bad_specs_name_the_field(self):
        cases = [
            ({"pattern": "fan_out", "prompt": "x"}, "/spec/roles"),
            ({**fan_out_spec(), "pattern": "swarm"}, "/spec/pattern"),
            ({**fan_out_spec(), "prompt": 5}, "/spec/prompt"),
            ({**fan_out_spec(), "options": {"max_subtasks": 0}}, "/spec/options/max_subtasks"),
        ]
        for spec, path in cases:
            with self.subTest(path=path):
                response = await self.client.request("task.submit", {"spec": spec})
                error = response["error"]
                self.assertEqual(error["code"], -32602, error)
                self.assertTrue(error["data"]["path"].startswith(path), error)
                self.assertTrue(error["data"]["expected"], error)

    async def test_unknown_model_or_policy_is_refused_at_submit(self):
        spec = fan_out_spec()
        spec["roles"]["worker"]["model"] = "no-such-model"
        error = (await self.client.request("task.submit", {"spec": spec}))["error"]
        self.assertEqual(error["code"], -32602)
        self.assertEqual(error["data"]["path"], "/spec/roles/worker/model")
        spec = fan_out_spec()
        spec["roles"]["worker"]["policy"] = "no-such-policy"
        error = (await self.client.request("task.submit", {"spec": spec}))["error"]
        self.assertIn(error["code"], (-32602, -32007))


if __name__ == "__main__":
    unittest.main()
