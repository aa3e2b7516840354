"""agentctl's repository options against a live agentd: `submit --repo` sends the path of a
repository the tenant's `repositories` allows (and the daemon keeps its resolved path), a path
outside them is refused with the daemon's reason, and `get --patch` on a task without a patch
exits 1 saying so."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import Stack, missing_binaries


def make_repository(path):
    os.makedirs(path)
    git = ["git", "-C", path, "-c", "user.email=it@example.org", "-c", "user.name=it"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    with open(os.path.join(path, "README"), "w") as f:
        f.write("hello\n")
    subprocess.run(git + ["add", "README"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "one"], check=True)


class AgentctlRepositoryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if missing_binaries():
            raise unittest.SkipTest("not built")
        if shutil.which("git") is None:
            raise unittest.SkipTest("git is not installed")
        cls.files = tempfile.mkdtemp(prefix="agentctl-repo-it-")
        cls.allowed = os.path.join(cls.files, "allowed")
        make_repository(os.path.join(cls.allowed, "app"))
        make_repository(os.path.join(cls.files, "outside"))
        cls.stack = Stack()
        cls.stack.config["tenants"][0]["repositories"] = [cls.allowed + "/*"]
        with open(cls.stack.config_path, "w") as f:
            json.dump(cls.stack.config, f, indent=2)
        try:
            cls.stack.start()
        except Exception:
            cls.stack.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()
        shutil.rmtree(cls.files, ignore_errors=True)

    def spec_file(self):
        path = os.path.join(self.files, "spec.json")
        with open(path, "w") as f:
            json.dump({"pattern": "best_of_n", "prompt": "Make the tests pass.",
                       "options": {"n": 1},
                       "roles": {"coder": {"model": "scripted", "policy": "coder"}}}, f)
        return path

    def test_submit_sends_the_allowed_path_and_get_patch_says_when_there_is_none(self):
        # Relative, through "..": agentctl makes it absolute, the daemon resolves it.
        status, out, err = self.stack.agentctl(
            "submit", self.spec_file(), "--repo", os.path.relpath(self.allowed + "/app/../app"),
            "--ref", "HEAD", "--test", "python3 -m pytest -q 'tests/a b.py'", "--json")
        self.assertEqual(status, 0, err)
        task_id = json.loads(out)["task_id"]
        status, out, err = self.stack.agentctl("get", task_id, "--json")
        self.assertEqual(status, 0, err)
        repository = json.loads(out)["spec"]["repository"]
        self.assertEqual(repository["path"], os.path.realpath(self.allowed + "/app"))
        self.assertEqual(repository["ref"], "HEAD")
        self.assertEqual(repository["test_command"], ["python3", "-m", "pytest", "-q", "tests/a b.py"])
        self.stack.agentctl("cancel", task_id)
        status, out, err = self.stack.agentctl("get", task_id, "--patch")
        self.assertEqual(status, 1, out + err)
        self.assertEqual(out, "")
        self.assertIn("patch", err)

    def test_a_repository_the_tenant_may_not_use_is_refused(self):
        status, out, err = self.stack.agentctl(
            "submit", self.spec_file(), "--repo", os.path.join(self.files, "outside"),
            "--test", "true")
        self.assertEqual(status, 4, out + err)
        self.assertIn("does not list it for this tenant", err)
        status, out, err = self.stack.agentctl(
            "submit", self.spec_file(), "--repo", os.path.join(self.files, "outside"),
            "--test", "pytest | tee log")
        self.assertEqual(status, 2, out + err)
        self.assertIn("without a shell", err)


if __name__ == "__main__":
    unittest.main()
