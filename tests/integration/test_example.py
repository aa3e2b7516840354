"""README's main command ends in scripts/run-example.sh: agentd from the build with a
throwaway configuration, examples/word-count.json through agentctl --follow against the
scripted model, and an exec.run of untrusted Python. Run it as README runs it."""
import os
import subprocess
import unittest

import json

from harness import AGENTD, SOURCE_DIR, ScriptedLlm, missing_binaries


class ExampleTest(unittest.TestCase):
    def setUp(self):
        if missing_binaries():
            self.skipTest("integration: not built")

    def run_example(self, env=None):
        build_dir = os.path.dirname(os.path.dirname(AGENTD))  # BUILD/daemon/agentd
        run = subprocess.run([os.path.join(SOURCE_DIR, "scripts/run-example.sh"), build_dir],
                             capture_output=True, text=True, timeout=300,
                             env={**os.environ, **(env or {})})
        return run, run.stdout + run.stderr

    def test_run_example(self):
        run, output = self.run_example()
        self.assertEqual(run.returncode, 0, output)
        self.assertIn("SCRIPTED test server", output)  # clearly labelled as such
        self.assertIn("task.finished  succeeded", output)
        self.assertEqual(output.count("sandbox.result"), 3, output)
        self.assertIn("status=ok tool=run_code", output)
        # The exec.run part ran inside a sandbox: no network but loopback, no host files.
        self.assertIn("interfaces ['lo']", output)
        self.assertIn("/etc/shadow refused", output)
        leftovers = [name for name in os.listdir("/tmp") if name.startswith("agentd-example.")]
        self.assertEqual(leftovers, [], "run-example.sh left its directory behind")

    def test_the_switch_to_a_real_endpoint(self):
        # README's switch, pointed at a server of our own that checks what a real one would.
        endpoint = ScriptedLlm()
        self.addCleanup(endpoint.stop)
        with open(os.path.join(SOURCE_DIR, "examples/scripted-llm.json")) as f:
            endpoint.load(json.load(f))
        run, output = self.run_example({"AGENTD_DEMO_BASE_URL": endpoint.base_url,
                                        "AGENTD_DEMO_MODEL": "gpt-test",
                                        "AGENTD_DEMO_API_KEY_ENV": "EXAMPLE_KEY",
                                        "EXAMPLE_KEY": "sk-example"})
        self.assertEqual(run.returncode, 0, output)
        self.assertIn(f"model: gpt-test at {endpoint.base_url}", output)
        self.assertNotIn("SCRIPTED", output)
        requests = endpoint.log()
        # The planner, three workers with two turns each (run_code, then the answer), the reducer.
        self.assertEqual(sorted(r["role"] for r in requests),
                         ["planner", "reducer"] + ["worker"] * 6)
        self.assertEqual({r["model"] for r in requests}, {"gpt-test"})
        self.assertEqual({r["authorization"] for r in requests}, {"Bearer sk-example"})


if __name__ == "__main__":
    unittest.main()
