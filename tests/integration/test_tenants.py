"""Tenants: each sees, subscribes to, cancels and sends feedback to its own tasks only;
another tenant's task id answers exactly like an unknown one. Policies per tenant, quotas,
connections per tenant."""
import asyncio
import json
import unittest

import websockets

from harness import Client, RpcError, StackTest
from specs import fan_out_script, fan_out_spec

ID_PROBES = [("task.get", {}), ("task.subscribe", {"after_seq": 0}), ("task.unsubscribe", {}),
             ("task.cancel", {}), ("task.feedback", {"message": "hi", "agent_id": "*"})]


def without_id(response, task_id):
    """The response without its request id and with the task id blanked, so that the answers
    for an unknown id and a foreign one compare."""
    answer = {k: v for k, v in response.items() if k != "id"}
    return json.dumps(answer, sort_keys=True).replace(task_id, "<id>")


class TenantIsolationTest(StackTest):
    stack_options = {"limits": {"connections_per_tenant": 4}}

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.beta = await Client.connect(self.stack, "beta")

    async def asyncTearDown(self):
        await self.beta.close()
        await super().asyncTearDown()

    async def test_every_method_refuses_another_tenants_task_like_an_unknown_one(self):
        self.load_script(fan_out_script(worker_latency_ms=3000))
        alpha_task = await self.client.submit(fan_out_spec())
        await self.client.wait_state(alpha_task, {"running"})
        # Same shape as a real id, so that only ownership differs.
        unknown = alpha_task[:-4] + ("0000" if not alpha_task.endswith("0000") else "1111")
        for method, params in ID_PROBES:
            with self.subTest(method=method):
                foreign = await self.beta.request(method, {"task_id": alpha_task, **params})
                missing = await self.beta.request(method, {"task_id": unknown, **params})
                # The answer must not tell a foreign id from an unknown one...
                self.assertEqual(without_id(foreign, alpha_task), without_id(missing, unknown))
                # ...and every method that acts on a task refuses it.
                self.assertIn("error", foreign, f"beta reached alpha's task with {method}")
                self.assertEqual(foreign["error"]["code"], -32004)
        listed = await self.beta.call("task.list", {"limit": 500})
        self.assertNotIn(alpha_task, [t["task_id"] for t in listed["tasks"]])
        # Nothing beta tried touched the task: it still runs to success for alpha.
        events = await self.client.follow(alpha_task)
        self.assertEqual(events[-1]["data"]["state"], "succeeded")
        self.assertFalse(self.beta.queue(alpha_task).qsize(), "beta got alpha's events")

    async def test_task_list_before_another_tenants_id(self):
        self.load_script(fan_out_script())
        alpha_task = await self.client.submit(fan_out_spec())
        response = await self.beta.request("task.list", {"before": alpha_task})
        if "error" in response:
            self.assertEqual(response["error"]["code"], -32004)
        else:
            self.assertEqual(response["result"]["tasks"], [])

    async def test_policies_outside_the_tenant_are_refused(self):
        spec = fan_out_spec()
        spec["roles"]["worker"]["policy"] = "researcher"
        with self.assertRaises(RpcError) as submit:
            await self.beta.submit(spec)
        self.assertEqual(submit.exception.code, -32007)
        with self.assertRaises(RpcError) as run:
            await self.beta.call("exec.run", {"policy": "researcher", "language": "python",
                                              "code": "print(1)"})
        self.assertEqual(run.exception.code, -32007)

    async def test_concurrent_task_quota(self):
        # beta may hold 4 queued or running tasks.
        self.load_script(fan_out_script(worker_latency_ms=60_000))
        tasks = [await self.beta.submit(fan_out_spec()) for _ in range(4)]
        with self.assertRaises(RpcError) as caught:
            await self.beta.submit(fan_out_spec())
        self.assertEqual(caught.exception.code, -32002)
        self.assertEqual(caught.exception.data, {"quota": "concurrent_tasks", "limit": 4})
        # alpha is not affected by beta's quota.
        alpha_task = await self.client.submit(fan_out_spec())
        for task_id in tasks:
            await self.beta.call("task.cancel", {"task_id": task_id})
        await self.client.call("task.cancel", {"task_id": alpha_task})
        for task_id in tasks:
            await self.beta.wait_state(task_id, {"cancelled"})
        # Cancelled tasks no longer count.
        self.load_script(fan_out_script())
        await self.beta.submit(fan_out_spec())

    async def test_connections_per_tenant(self):
        # self.client and self.beta are open: alpha has 1 of its 4.
        extra = [await Client.connect(self.stack) for _ in range(3)]
        try:
            with self.assertRaises((websockets.InvalidStatusCode, websockets.ConnectionClosed,
                                    RpcError)) as caught:
                refused = await Client.connect(self.stack)
                try:
                    await refused.call("server.info", {})
                finally:
                    await refused.close()
            if isinstance(caught.exception, websockets.InvalidStatusCode):
                self.assertIn(caught.exception.status_code, (429, 503))
            # beta still connects: the limit is per tenant.
            other = await Client.connect(self.stack, "beta")
            await other.call("server.info", {})
            await other.close()
        finally:
            for client in extra:
                await client.close()
        await asyncio.sleep(0.2)
        again = await Client.connect(self.stack)
        await again.call("server.info", {})
        await again.close()


if __name__ == "__main__":
    unittest.main()
