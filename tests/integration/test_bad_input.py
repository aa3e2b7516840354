"""Hostile and broken clients: malformed JSON, wrong types, unknown methods, batches, huge
frames, binary frames, deep nesting, floods, and a client that never reads. Each gets a
JSON-RPC error (or, past the size limit, a close with 1009) and the daemon stays up and
answers everyone else."""
import asyncio
import base64
import json
import os
import re
import socket
import time
import unittest


from harness import Client, StackTest, http_get
from specs import fan_out_script, fan_out_spec

MAX_MESSAGE = 64 * 1024


class BadInputTest(StackTest):
    stack_options = {"limits": {"max_message_bytes": MAX_MESSAGE, "max_frame": MAX_MESSAGE,
                                "requests_per_second": 50, "request_burst": 100}}

    async def asyncTearDown(self):
        await super().asyncTearDown()
        self.assertAlive()
        self.assertEqual(http_get(self.stack.http + "/healthz")[0], 200)

    async def expect_error(self, frame, code):
        reply = await self.client.send_raw(frame)
        self.assertIn("error", reply, reply)
        self.assertEqual(reply["error"]["code"], code, reply)
        self.assertEqual(reply["jsonrpc"], "2.0")
        self.assertIn("id", reply)
        return reply

    async def test_malformed_json(self):
        for frame in ('{"jsonrpc": "2.0", "id": 1, "method": "server.info"',
                      "not json at all", '{"a": tru}', "\u00e9\u00e9", "", "   "):
            with self.subTest(frame=frame):
                reply = await self.expect_error(frame, -32700)
                self.assertIsNone(reply["id"])

    async def test_invalid_requests(self):
        for frame in ('{"jsonrpc": "1.0", "id": 1, "method": "server.info"}',
                      '{"id": 1, "method": "server.info"}',
                      '{"jsonrpc": "2.0", "id": 1, "method": 5}',
                      '{"jsonrpc": "2.0", "id": 1}',
                      '{"jsonrpc": "2.0", "id": {"a": 1}, "method": "server.info"}',
                      '{"jsonrpc": "2.0", "id": 1, "method": "server.info", "params": 5}',
                      "5", "null", '"server.info"', "[]"):
            with self.subTest(frame=frame):
                await self.expect_error(frame, -32600)

    async def test_wrong_param_types_name_the_path(self):
        cases = [("task.get", {"task_id": 5}, "/task_id"),
                 ("task.get", {}, "/task_id"),
                 ("task.subscribe", {"task_id": "t_x", "after_seq": "ten"}, "/after_seq"),
                 ("task.subscribe", {"task_id": "t_x", "after_seq": -1}, "/after_seq"),
                 ("task.list", {"limit": 501}, "/limit"),
                 ("task.list", {"state": "sleeping"}, "/state"),
                 ("task.feedback", {"task_id": "t_x", "message": ["x"]}, "/message"),
                 ("task.submit", {"spec": "fan_out"}, "/spec"),
                 ("exec.run", {"policy": "coder", "language": "cobol", "code": "x"}, "/language"),
                 ("exec.run", {"policy": "coder", "language": "python", "code": 1}, "/code")]
        for method, params, path in cases:
            with self.subTest(method=method, params=params):
                response = await self.client.request(method, params)
                error = response.get("error")
                self.assertIsNotNone(error, response)
                self.assertEqual(error["code"], -32602, error)
                self.assertEqual(error["data"]["path"], path, error)

    async def test_unknown_methods(self):
        for method in ("nope", "task.", "task.submit2", "rpc.discover", "x" * 128):
            with self.subTest(method=method[:20]):
                response = await self.client.request(method, {})
                self.assertEqual(response["error"]["code"], -32601)
                self.assertLess(len(response["error"]["message"]), 300)
        # A name longer than any method is not a request at all.
        response = await self.client.request("x" * 10_000, {})
        self.assertEqual(response["error"]["code"], -32600)
        self.assertLess(len(response["error"]["message"]), 300)

    async def test_batches(self):
        batch = [{"jsonrpc": "2.0", "id": i, "method": "server.info", "params": {}}
                 for i in (101, 102)] + [{"jsonrpc": "2.0", "id": 103, "method": "nope"}]
        await self.client.ws.send(json.dumps(batch))
        # The Client files each response of the batch under its id: none is pending here,
        # so they land in `other`, in any order.
        replies = [await asyncio.wait_for(self.client.other.get(), 30) for _ in range(3)]
        by_id = {r["id"]: r for r in replies}
        self.assertIn("result", by_id[101])
        self.assertIn("result", by_id[102])
        self.assertEqual(by_id[103]["error"]["code"], -32601)
        too_many = [{"jsonrpc": "2.0", "id": i, "method": "server.info"} for i in range(17)]
        await self.expect_error(json.dumps(too_many), -32600)

    async def test_binary_frames_are_refused_and_the_connection_stays(self):
        await self.client.ws.send(json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "server.info"}).encode())
        reply = await asyncio.wait_for(self.client.other.get(), 30)
        self.assertEqual(reply["error"]["code"], -32600)
        self.assertIn("version", await self.client.call("server.info", {}))

    async def test_deep_nesting_and_odd_text(self):
        # 40 KB, under the 64 KiB message limit: the depth, not the size, is the attack.
        reply = await self.client.send_raw("[" * 20_000 + "]" * 20_000)
        self.assertIn(reply["error"]["code"], (-32700, -32600))
        deep = '{"jsonrpc": "2.0", "id": 7, "method": "task.get", "params": {"task_id": ' + \
               "[" * 10_000 + "]" * 10_000 + "}}"
        reply = await self.client.send_raw(deep)
        self.assertIn(reply["error"]["code"], (-32700, -32600, -32602))
        response = await self.client.request("task.get", {"task_id": "\u0000\u202e\ud7ff" * 10})
        self.assertIn(response["error"]["code"], (-32004, -32602))
        response = await self.client.request("task.get", {"task_id": "x" * 10_000})
        self.assertEqual(response["error"]["code"], -32602)

    async def test_a_message_over_the_limit_gets_an_error_then_1009(self):
        huge = json.dumps({"jsonrpc": "2.0", "id": 9, "method": "task.submit",
                           "params": {"spec": {"prompt": "x" * (MAX_MESSAGE * 2)}}})
        await self.client.ws.send(huge)
        reply = await asyncio.wait_for(self.client.other.get(), 30)
        self.assertEqual(reply["error"]["code"], -32600, reply)
        await asyncio.wait_for(self.client.ws.wait_closed(), 30)
        self.assertEqual(self.client.ws.close_code, 1009)
        fresh = await Client.connect(self.stack)
        try:
            self.assertIn("version", await fresh.call("server.info", {}))
        finally:
            await fresh.close()

    async def test_a_flood_is_rate_limited_not_dropped(self):
        count = 400
        futures = [asyncio.ensure_future(self.client.request("server.info", {}, timeout=60))
                   for _ in range(count)]
        responses = await asyncio.gather(*futures)
        limited = [r for r in responses if "error" in r]
        self.assertEqual(len(responses), count)
        self.assertTrue(limited, "400 requests at once were not rate limited")
        for response in limited:
            self.assertEqual(response["error"]["code"], -32003)
            self.assertGreater(response["error"]["data"]["retry_after_ms"], 0)
        await asyncio.sleep(max(r["error"]["data"]["retry_after_ms"] for r in limited) / 1000)
        self.assertIn("version", await self.client.call("server.info", {}))

    async def test_random_bytes_as_text(self):
        for _ in range(50):
            frame = base64.b85encode(os.urandom(200)).decode()
            reply = await self.client.send_raw(frame)
            self.assertEqual(reply["error"]["code"], -32700)


def raw_upgrade(port, token):
    """A WebSocket upgrade by hand, for a client that then never reads."""
    sock = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    assert b" 101 " in head.split(b"\r\n")[0], head
    return sock


def masked_text_frame(text):
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    else:
        header += bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class SlowReaderTest(StackTest):
    stack_options = {"limits": {"send_queue_bytes": 64 * 1024, "requests_per_second": 1000,
                                "request_burst": 1000}}

    async def test_a_client_that_never_reads_is_disconnected(self):
        sock = raw_upgrade(self.stack.port, self.stack.token())
        rss_before = self.stack.pid_rss_kib()
        # Each server.info answer is about 600 bytes: the daemon's queue for this client
        # passes its 64 KiB limit as soon as the socket buffers are full.
        frame = masked_text_frame(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "server.info"}))
        sock.setblocking(False)
        sent, blocked_since = 0, None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                sock.send(frame)
                sent += 1
                blocked_since = None
            except BlockingIOError:  # the daemon no longer reads from us
                blocked_since = blocked_since or time.monotonic()
                if time.monotonic() - blocked_since > 3:
                    break
                await asyncio.sleep(0.01)
            except (BrokenPipeError, ConnectionResetError):
                break
            if sent % 500 == 0:
                await asyncio.sleep(0)
        _, metrics = http_get(self.stack.http + "/metrics")
        self.assertRegex(metrics, r'agentd_disconnects_total\{reason="send_queue"\} [1-9]',
                         f"not disconnected after {sent} unread requests")
        queued = re.search(r"^agentd_send_queue_bytes (\S+)$", metrics, re.M)
        self.assertIsNotNone(queued, "no agentd_send_queue_bytes gauge")
        self.assertLessEqual(float(queued.group(1)), 64 * 1024 + 4096)
        self.assertLess(self.stack.pid_rss_kib() - rss_before, 64 * 1024,
                        "the daemon's memory grew with an unread client")
        sock.close()
        self.assertIn("version", await self.client.call("server.info", {}))


class SubscriberFloodTest(StackTest):
    async def test_many_subscriptions_to_many_tasks(self):
        self.load_script(fan_out_script(subtasks=["a"]))
        ids = [await self.client.submit(fan_out_spec()) for _ in range(20)]
        results = await asyncio.gather(*(self.client.follow(i) for i in ids))
        for task_id, events in zip(ids, results):
            self.assertEqual(events[-1]["data"]["state"], "succeeded", task_id)


if __name__ == "__main__":
    unittest.main()
