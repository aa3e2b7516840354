"""Task specs and scripts for the scripted LLM server, the example repository, and the check
every event stream must pass. Re-exported by harness.py."""
import json
import os
import shutil
import subprocess

SOURCE_DIR = os.environ.get(
    "AGENTD_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
# The repository's tests, with a JUnit report the daemon reads (docs/repositories.md).
PYTEST_COMMAND = ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                  "--junitxml={junit_xml}"]


def git(*args, cwd=None):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t",
                           "-c", "init.defaultBranch=main", *args],
                          cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_example_repository(path):
    """examples/repository as a git repository with one commit (what the demo makes); its
    commit id."""
    shutil.copytree(os.path.join(SOURCE_DIR, "examples/repository"), path)
    git("init", "-q", path)
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", "calc: average (wrong), clamp", cwd=path)
    return git("rev-parse", "HEAD", cwd=path).strip()


def example_repository_script():
    """The scripted coders, workers and merger of the repository examples."""
    with open(os.path.join(SOURCE_DIR, "examples/scripted-llm-repo.json")) as f:
        return json.load(f)


def example_repository_spec(repository, name="repo-best-of-n.json"):
    """examples/NAME on `repository` ({path} or {bundle}), its roles on the scripted model."""
    with open(os.path.join(SOURCE_DIR, "examples", name)) as f:
        spec = json.load(f)
    for role in spec["roles"].values():
        role["model"] = "scripted"
    spec["repository"] = {**repository, "test_command": PYTEST_COMMAND}
    return spec


def check_sequence(testcase, events, task_id, first_seq=1):
    """Events of one task: seq gapless from first_seq, every field of the contract there."""
    testcase.assertTrue(events, "no events")
    for offset, event in enumerate(events):
        testcase.assertEqual(event["task_id"], task_id)
        testcase.assertEqual(event["seq"], first_seq + offset, f"gap or disorder at {event}")
        testcase.assertIsInstance(event["type"], str)
        testcase.assertRegex(event["at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        testcase.assertIsInstance(event["data"], dict)


def task_spec(pattern, prompt, roles, options=None, **extra):
    """A task spec whose every role uses the scripted model and the coder policy unless told."""
    spec = {"pattern": pattern, "prompt": prompt,
            "roles": {name: {"model": "scripted", "policy": "coder", **values}
                      for name, values in roles.items()}}
    if options:
        spec["options"] = options
    spec.update(extra)
    return spec


def final_answer(answer, **step):
    """A script step: the model calls final_answer with `answer`."""
    return {"tool_calls": [{"name": "final_answer", "arguments": {"answer": answer}}], **step}


def fan_out_script(subtasks=("part one", "part two", "part three"), reduced="merged answer",
                   worker_latency_ms=None):
    worker = final_answer("result {{n}}")
    if worker_latency_ms is not None:
        worker["latency_ms"] = worker_latency_ms
    return {"roles": {"planner": {"default": final_answer({"subtasks": list(subtasks)})},
                      "worker": {"default": worker},
                      "reducer": {"default": final_answer(reduced)}}}


def fan_out_spec(prompt="Count the words of three texts.", **extra):
    return task_spec("fan_out", prompt, {"planner": {}, "worker": {}, "reducer": {}}, **extra)
