"""exec.run: code straight into a sandbox under a policy, no LLM (like a code interpreter
API), with stdin, files, timeouts and the tenant's policies."""
import asyncio
import shutil
import unittest

from harness import Client, RpcError, StackTest


class ExecTest(StackTest):
    async def run_code(self, language, code, client=None, **extra):
        params = {"policy": "coder", "language": language, "code": code, **extra}
        return await (client or self.client).call("exec.run", params, timeout=120)

    async def test_python(self):
        result = await self.run_code("python", "print(6*7)")
        self.assertEqual(result["status"], "ok", result)
        self.assertEqual(result["exit_code"], 0)
        self.assertEqual(result["stdout"], "42\n")
        for key in ("signal", "wall_ms", "cpu_ms", "peak_memory_bytes", "stderr"):
            self.assertIn(key, result)

    async def test_stdin_files_and_exit_code(self):
        code = "import sys\ndata = open('data/in.txt').read()\nprint(data + sys.stdin.read())\n" \
               "sys.exit(3)"
        result = await self.run_code("python", code, stdin="world",
                                     files=[{"path": "data/in.txt", "content": "hello "}])
        self.assertEqual(result["stdout"], "hello world\n")
        self.assertEqual(result["exit_code"], 3)

    async def test_bash_and_c(self):
        result = await self.run_code("bash", "echo $((6*7)) >&2")
        self.assertEqual(result["stderr"], "42\n")
        if not shutil.which("gcc"):
            self.skipTest("language c needs gcc, which this host lacks")
        result = await self.run_code(
            "c", '#include <stdio.h>\nint main(void){printf("%d\\n", 6*7);return 0;}')
        self.assertEqual((result["status"], result["stdout"]), ("ok", "42\n"), result)

    async def test_timeout(self):
        result = await self.run_code("python", "while True: pass", timeout=1)
        self.assertEqual(result["status"], "timeout", result)

    async def test_sandbox_has_no_network(self):
        code = ("import socket\ntry:\n socket.create_connection(('1.1.1.1', 53), timeout=2)\n"
                " print('connected')\nexcept OSError as e:\n print('refused', e.errno)")
        result = await self.run_code("python", code)
        self.assertTrue(result["stdout"].startswith("refused"), result)

    async def test_refusals(self):
        with self.assertRaises(RpcError) as unknown:
            await self.client.call("exec.run", {"policy": "nope", "language": "python",
                                               "code": "print(1)"})
        self.assertIn(unknown.exception.code, (-32602, -32007))
        with self.assertRaises(RpcError) as language:
            await self.run_code("cobol", "DISPLAY 'x'")
        self.assertEqual(language.exception.code, -32602)
        with self.assertRaises(RpcError) as path:
            await self.run_code("python", "print(1)", files=[{"path": "../escape", "content": "x"}])
        self.assertEqual(path.exception.code, -32602)

    async def test_concurrent_runs_within_the_sandbox_quota(self):
        beta = await Client.connect(self.stack, "beta")  # 2 sandboxes at once
        try:
            results = await asyncio.gather(
                *(self.run_code("python", "import time; time.sleep(1); print('x')", client=beta)
                  for _ in range(4)), return_exceptions=True)
        finally:
            await beta.close()
        ok = [r for r in results if isinstance(r, dict)]
        refused = [r for r in results if isinstance(r, RpcError)]
        self.assertTrue(ok)
        for result in ok:
            self.assertEqual(result["stdout"], "x\n")
        for error in refused:
            self.assertEqual(error.code, -32002)
            self.assertEqual(error.data["quota"], "sandboxes")
        self.assertEqual(len(ok) + len(refused), 4)


if __name__ == "__main__":
    unittest.main()
