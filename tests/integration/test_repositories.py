"""Repository tasks through the daemon (docs/repositories.md): best_of_n on the example
repository with the example's scripted coders (one right, one wrong, one rewriting the tests),
a bundle instead of a path, and hostile repositories and agents: hooks, filters and fsmonitor
planted in the repository's config, a symlink out of the tree, a huge file, a bundle that is
not one, and a coder that tries to write the repository's .git or reach a sibling's worktree.
The repository's tests are the example's pytest suite, run in sandboxes."""
import base64
import json
import os
import re
import shutil
import subprocess
import unittest

import asyncio

from harness import SOURCE_DIR, Client, Stack, StackTest, missing_binaries
from specs import (check_sequence, example_repository_script as example_script,
                   example_repository_spec as example_spec, git, make_example_repository)


def pytest_missing():
    run = subprocess.run(["/usr/bin/python3", "-m", "pytest", "--version"], capture_output=True)
    return run.returncode != 0


class RepositoryTaskTest(StackTest):
    @classmethod
    def setUpClass(cls):
        if missing_binaries():
            raise unittest.SkipTest("not built: " + ", ".join(missing_binaries()))
        if shutil.which("git") is None:
            raise unittest.SkipTest("git is not installed")
        if pytest_missing():
            raise unittest.SkipTest("python3-pytest is not installed (scripts/setup.sh installs it)")
        cls.stack = Stack(repositories=["*"])
        cls.repos = cls.stack.repos
        try:
            cls.stack.start()
        except Exception:
            cls.stack.close()
            raise

    def new_repository(self, name):
        path = os.path.join(self.repos, name)
        base = make_example_repository(path)
        return path, base

    async def run_task(self, spec, script=None):
        self.load_script(script or example_script())
        task_id = await self.client.submit(spec)
        events = await self.client.follow(task_id, timeout=240)
        check_sequence(self, events, task_id)
        task = await self.client.call("task.get", {"task_id": task_id})
        return task, events

    def assert_applies(self, repository_path, patch):
        clone = os.path.join(self.stack.dir, "apply-" + os.path.basename(repository_path))
        git("clone", "-q", repository_path, clone)
        subprocess.run(["git", "apply", "--check", "-"], input=patch, text=True, cwd=clone,
                       check=True)
        shutil.rmtree(clone)

    async def test_best_of_n_fixes_the_failing_test(self):
        path, base = self.new_repository("calc")
        task, events = await self.run_task(example_spec({"path": path}))
        self.assertEqual(task["state"], "succeeded", task)
        result = task["result"]
        repo = result["repository"]
        self.assertEqual(repo["base"], base)
        self.assertRegex(repo["branch"], r"^agentd/t-[0-9a-f]+/coder-[123]$")
        self.assertEqual(repo["files"], ["calc.py"])
        self.assertIn("+    return sum(values) / len(values)\n", repo["patch"])
        self.assertFalse(repo["truncated"])
        self.assert_applies(path, repo["patch"])
        # The branch holds the winner's commit, authored by its agent; the user's branch is as it was.
        self.assertEqual(git("rev-parse", repo["branch"], cwd=path).strip(), repo["head"])
        self.assertEqual(git("rev-parse", "main", cwd=path).strip(), base)
        author = git("log", "-1", "--format=%an", repo["head"], cwd=path).strip()
        self.assertIn(result["details"]["winner"], author)
        # The base passes 1 of 4 (clamp); the winner all 4; the test rewriter's changes did not count.
        tests = repo["tests"]
        self.assertEqual(tests["base"], {"tests": 4, "passed": 1})
        by_agent = {c["agent"]: c for c in tests["candidates"]}
        self.assertEqual(by_agent[result["details"]["winner"]]["passed"], 4)
        cheater = [c for c in tests["candidates"] if c.get("protected_changes")]
        self.assertEqual(len(cheater), 1, tests)
        self.assertEqual(cheater[0]["protected_changes"], ["tests/test_calc.py"])
        self.assertEqual(cheater[0]["passed"], 1)
        self.assertEqual({c["verdict_from"] for c in tests["candidates"]}, {"junit"})
        types = [e["type"] for e in events]
        self.assertEqual(types.count("repository.worktree"), 3)
        self.assertEqual(types.count("repository.committed"), 3)
        self.assertIn("repository.base_tested", types)
        # agentctl get --patch prints exactly the patch.
        status, out, err = self.stack.agentctl("get", task["task_id"], "--patch")
        self.assertEqual(status, 0, err)
        self.assertEqual(out, repo["patch"])

    async def test_the_documented_example(self):
        """docs/repositories.md: its task spec runs as shown, and its result has the fields
        the page shows."""
        with open(os.path.join(SOURCE_DIR, "docs/repositories.md")) as f:
            page = f.read()
        blocks = dict(re.findall(r"^```json (repository-\w+)\n(.*?)^```", page, re.M | re.S))
        spec = json.loads(blocks["repository-task"])
        documented = json.loads(blocks["repository-result"])
        path, base = self.new_repository("documented")
        spec["repository"]["path"] = path
        for role in spec["roles"].values():
            role["model"] = "scripted"
        task, _ = await self.run_task(spec)
        self.assertEqual(task["state"], "succeeded", task)
        result = task["result"]["repository"]
        self.assertEqual(set(result), set(documented))
        self.assertEqual(set(result["tests"]), set(documented["tests"]))
        shown = set(documented["tests"]["candidates"][0]) - {"..."}
        for candidate in result["tests"]["candidates"]:
            if candidate["tested"]:
                self.assertLessEqual(shown, set(candidate), candidate)
        self.assertEqual(result["tests"]["base"], documented["tests"]["base"])

    async def test_fan_out_merges_the_workers_branches(self):
        path, base = self.new_repository("fanout")
        task, events = await self.run_task(example_spec({"path": path}, "repo-fan-out.json"))
        self.assertEqual(task["state"], "succeeded", task)
        self.assertIn("repository", task["result"], (task, [e for e in events if "repository" in e["type"]]))
        repo = task["result"]["repository"]
        self.assertEqual(repo["base"], base)
        self.assertEqual(sorted(repo["files"]), ["NOTES.md", "calc.py", "stats.py"])
        self.assertIn("+- calc.average divides by the count\n+- stats.spread: new\n", repo["patch"])
        self.assert_applies(path, repo["patch"])
        merged = [e["data"] for e in events if e["type"] == "repository.merged"]
        self.assertEqual(len(merged), 1, merged)
        self.assertEqual(len(merged[0]["conflicts"]), 1, merged)  # NOTES.md, resolved by the merger
        self.assertEqual(merged[0]["left_out"], [])
        self.assertEqual(len(merged[0]["merged"]), 2)
        # Its merge commit has the workers' commits among its ancestors.
        log = git("log", "--format=%an", repo["head"], cwd=path)
        self.assertIn("worker-1", log)
        self.assertIn("worker-2", log)

    async def test_a_bundle_instead_of_a_path(self):
        path, base = self.new_repository("bundled")
        bundle = subprocess.run(["git", "bundle", "create", "-", "--all"], cwd=path,
                                capture_output=True, check=True).stdout
        spec = example_spec({"bundle": base64.b64encode(bundle).decode()})
        task, _ = await self.run_task(spec)
        self.assertEqual(task["state"], "succeeded", task)
        self.assertEqual(task["result"]["repository"]["base"], base)
        self.assert_applies(path, task["result"]["repository"]["patch"])
        # The user's repository was never touched: no agentd branches in it.
        self.assertEqual(git("branch", "--list", "agentd/*", cwd=path), "")

    async def test_a_bundle_that_is_not_one(self):
        spec = example_spec({"bundle": base64.b64encode(b"PK\x03\x04 a zip, not a bundle").decode()})
        task, _ = await self.run_task(spec)
        self.assertEqual(task["state"], "failed", task)
        self.assertIn("bundle", task["result"]["error"])
        self.assertIn("# v2 git bundle", task["result"]["error"])

    async def test_a_path_the_operator_did_not_allow(self):
        outside = os.path.join(self.stack.dir, "elsewhere")
        make_example_repository(outside)
        with self.assertRaises(Exception) as refused:
            await self.client.submit(example_spec({"path": outside}))
        self.assertIn("not", str(refused.exception))
        # A symlink inside the allowed directory that points outside is refused as well.
        os.symlink(outside, os.path.join(self.repos, "link"))
        with self.assertRaises(Exception):
            await self.client.submit(example_spec({"path": os.path.join(self.repos, "link")}))

    async def test_a_hostile_repository_runs_nothing_on_the_host(self):
        path, _ = self.new_repository("hostile")
        canary = os.path.join(self.stack.dir, "canary")
        touch = f"touch {canary}"
        with open(os.path.join(path, ".gitattributes"), "w") as f:
            f.write("* filter=evil diff=evil merge=evil\n")
        os.symlink("/etc/passwd", os.path.join(path, "passwd-link"))
        git("add", "-A", cwd=path)
        git("commit", "-q", "-m", "attributes and a link out of the tree", cwd=path)
        for hook in ("post-checkout", "pre-commit", "post-commit", "commit-msg",
                     "reference-transaction", "post-index-change"):
            hook_path = os.path.join(path, ".git/hooks", hook)
            with open(hook_path, "w") as f:
                f.write(f"#!/bin/sh\n{touch}\n")
            os.chmod(hook_path, 0o755)
        with open(os.path.join(path, ".git/config"), "a") as f:
            f.write(f'[filter "evil"]\n\tsmudge = {touch}\n\tclean = {touch}\n\tprocess = {touch}\n'
                    f'[diff "evil"]\n\tcommand = {touch}\n[merge "evil"]\n\tdriver = {touch}\n'
                    f"[core]\n\tfsmonitor = {touch}\n")
        task, _ = await self.run_task(example_spec({"path": path}))
        self.assertEqual(task["state"], "succeeded", task)
        self.assertFalse(os.path.exists(canary), "the repository ran a command on the host")
        # The link came back as a link in the patch's base, never read through: the patch has
        # only the fix.
        self.assertEqual(task["result"]["repository"]["files"], ["calc.py"])

    async def test_setup_command_and_hidden_tests(self):
        path, _ = self.new_repository("setup")
        script = example_script()
        # The first coder looks at its worktree: the setup's stamp is there, the hidden test not.
        script["roles"]["coder"]["steps"].insert(0, {"tool_calls": [{"name": "run_code", "arguments": {
            "language": "bash", "code": "cat /workspace/.stamp; ls /workspace/tests"}}]})
        spec = example_spec({"path": path})
        spec["repository"]["setup_command"] = ["sh", "-c", "echo set up > .stamp"]
        spec["repository"]["hidden_tests"] = [{
            "path": "tests/test_hidden.py",
            "content": "from calc import average\n\n\ndef test_two():\n    assert average([2, 4]) == 3\n"}]
        task, _ = await self.run_task(spec, script)
        self.assertEqual(task["state"], "succeeded", task)
        said = "".join(m["content"] for r in self.stack.llm.log() if r["role"] == "coder"
                       for m in r["request"]["messages"] if m["role"] == "tool")
        self.assertIn("set up", said)
        self.assertIn("test_calc.py", said)
        self.assertNotIn("test_hidden", said)
        tests = task["result"]["repository"]["tests"]
        self.assertEqual(tests["base"], {"tests": 5, "passed": 1})  # the hidden test counts
        winner = [c for c in tests["candidates"] if c.get("passed_all")]
        self.assertEqual(len(winner), 1, tests)
        self.assertEqual(winner[0]["total"], 5)
        self.assertNotIn("tests/test_hidden.py", task["result"]["repository"]["files"])

    async def test_a_huge_file_stays_out_of_the_repository(self):
        path, _ = self.new_repository("huge")
        script = example_script()
        # A 1 GiB file is past the sandbox's file size limit (RLIMIT_FSIZE, 64 MiB unless a
        # policy says otherwise); what a policy allowing more lets through, the daemon leaves out
        # of the commit (repo::kMaxCommittedFileBytes; TaskRepositoryTest covers it).
        script["roles"]["coder"]["steps"].insert(0, {"tool_calls": [{"name": "run_code", "arguments": {
            "language": "bash", "code": "truncate -s 1G /workspace/huge.bin; echo huge=$?"}}]})
        task, events = await self.run_task(example_spec({"path": path}), script)
        self.assertEqual(task["state"], "succeeded", task)
        said = "".join(m["content"] for r in self.stack.llm.log() if r["role"] == "coder"
                       for m in r["request"]["messages"] if m["role"] == "tool")
        self.assertIn("File size limit exceeded", said)
        self.assertIn("huge=153", said)  # 128 + SIGXFSZ
        committed = [e["data"] for e in events if e["type"] == "repository.committed"]
        self.assertEqual(len(committed), 3, committed)
        objects = subprocess.run(["du", "-sm", os.path.join(path, ".git/objects")],
                                 capture_output=True, text=True, check=True).stdout
        self.assertLess(int(objects.split()[0]), 10, "the repository took the huge file")

    async def test_a_repository_holding_a_1_gib_file(self):
        path, _ = self.new_repository("gib")
        with open(os.path.join(path, "data.bin"), "wb") as f:
            f.truncate(1 << 30)  # zeros: git stores it in about 1 MiB
        git("add", "data.bin", cwd=path)
        git("commit", "-q", "-m", "a 1 GiB data file", cwd=path)
        spec = example_spec({"path": path})
        spec["options"]["n"] = 2
        task, _ = await self.run_task(spec)
        self.assertEqual(task["state"], "succeeded", task)
        repo = task["result"]["repository"]
        self.assertEqual(repo["files"], ["calc.py"])
        self.assertNotIn("data.bin", repo["patch"])
        with open(f"/proc/{self.stack.process.pid}/status") as f:
            peak = [int(line.split()[1]) for line in f if line.startswith("VmHWM:")][0]
        print(f"a 1 GiB repository: the daemon's peak RSS {peak >> 10} MiB")
        # libgit2 holds one file's content at a time while it checks a tree out
        # (docs/repositories.md, "Limits"): the trees of one task are made one after another.
        self.assertLess(peak, 1536 << 10)

    async def test_a_coder_cannot_reach_git_or_a_sibling(self):
        path, base = self.new_repository("probe")
        git_config = os.path.join(path, ".git/config")
        with open(git_config) as f:
            config_before = f.read()
        probe = (
            "import os\n"
            "gitdir = open('/workspace/.git').read().split(':', 1)[1].strip()\n"
            "for target in (gitdir, os.path.dirname(os.path.dirname(gitdir)),\n"
            "               '/workspace/../coder-2', '/workspace/../coder-1'):\n"
            "    try:\n"
            "        os.listdir(target)\n"
            "        print('reached', target)\n"
            "    except OSError as e:\n"
            "        print('refused', target, e.strerror)\n"
            "try:\n"
            "    open('/workspace/.git', 'w').write('gitdir: ' + gitdir + '/../..\\n')\n"
            "    print('rewrote .git')\n"
            "except OSError as e:\n"
            "    print('refused .git', e.strerror)\n")
        script = example_script()
        coder = script["roles"]["coder"]
        coder["steps"] = [{"tool_calls": [{"name": "run_code", "arguments": {
            "language": "python", "code": probe}}]}] + coder["steps"]
        spec = example_spec({"path": path})
        spec["options"]["n"] = 4
        task, events = await self.run_task(spec, script)
        results = [e["data"] for e in events if e["type"] == "sandbox.result"]
        self.assertTrue(results and all(r["status"] == "ok" for r in results), results)
        # What the probes printed went back to the model as run_code's result.
        outputs = "".join(m["content"] for r in self.stack.llm.log() if r["role"] == "coder"
                          for m in r["request"]["messages"] if m["role"] == "tool")
        self.assertNotIn("reached", outputs)
        self.assertNotIn("rewrote", outputs)
        self.assertEqual(outputs.count("refused"), 5, outputs)
        with open(git_config) as f:
            self.assertEqual(f.read(), config_before, "a sandbox changed the repository's config")
        # Only the daemon's branches were added; the user's branch did not move.
        self.assertEqual(git("rev-parse", "main", cwd=path).strip(), base)
        branches = git("for-each-ref", "--format=%(refname)", cwd=path).split()
        self.assertTrue(all(b == "refs/heads/main" or b.startswith("refs/heads/agentd/")
                            for b in branches), branches)
        self.assertEqual(task["state"], "succeeded", task)


class RepositoryRestartTest(unittest.IsolatedAsyncioTestCase):
    """kill -9 while agents work on their worktrees: the next daemon unmounts what the dead one
    left mounted, ends the task interrupted, and a resumed task starts its agents over."""

    def setUp(self):
        if missing_binaries():
            self.skipTest("integration: not built: " + ", ".join(missing_binaries()))
        if shutil.which("git") is None or pytest_missing():
            self.skipTest("git or python3-pytest is not installed")
        self.stack = Stack(repositories=["*"])
        self.addCleanup(self.stack.close)
        self.stack.start()

    def overlays(self):
        with open("/proc/self/mountinfo") as f:
            return [line for line in f if " - overlay " in line and self.stack.dir in line]

    async def test_kill_9_mid_task(self):
        path = os.path.join(self.stack.repos, "calc")
        make_example_repository(path)
        script = example_script()
        for step in script["roles"]["coder"]["steps"] + [script["roles"]["coder"]["default"]]:
            step["latency_ms"] = 60_000  # the coders are still thinking when the daemon dies
        self.stack.llm.load(script)
        client = await Client.connect(self.stack)
        interrupted = await client.submit(example_spec({"path": path}))
        resumed = await client.submit({**example_spec({"path": path}), "resume": True})
        for task_id in (interrupted, resumed):
            events = []
            queue_task = await client.call("task.subscribe", {"task_id": task_id})
            self.assertIn("state", queue_task)
            while sum(e["type"] == "repository.worktree" for e in events) < 3:
                events.append(await asyncio.wait_for(client.queue(task_id).get(), 60))
        await asyncio.sleep(0.3)  # the journal's batch
        mounted = len(self.overlays())
        self.stack.kill9()
        await client.close()

        self.stack.llm.load(example_script())  # the resumed task can now finish
        self.stack.start()
        if mounted:  # overlays only where the daemon may mount (root)
            self.assertEqual(mounted, 6)  # three coders of each task
            # The interrupted task's were unmounted at the start (the resumed one mounts anew).
            self.assertEqual([m for m in self.overlays() if interrupted in m], [])
        client = await Client.connect(self.stack)
        try:
            task = await client.call("task.get", {"task_id": interrupted})
            self.assertEqual(task["state"], "interrupted")
            events = await client.follow(resumed, timeout=120)
            self.assertEqual(events[-1]["data"]["state"], "succeeded", events[-1])
            patch = events[-1]["data"]["result"]["repository"]["patch"]
            self.assertIn("+    return sum(values) / len(values)", patch)
        finally:
            await client.close()
        # Both tasks have ended: nothing of theirs is mounted, and the resumed one's agents
        # started over on fresh branches of the same names.
        self.assertEqual(self.overlays(), [])
        branches = git("branch", "--list", "agentd/*", cwd=path).split()
        self.assertEqual(len([b for b in branches if resumed in b]), 3, branches)


if __name__ == "__main__":
    unittest.main()
