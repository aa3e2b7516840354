"""Tasks that together make agentd send every event type protocol.md documents (bar those that
need GPUs): each a task spec, a script for the scripted model, and optionally something the
client does once a worker is waiting for its model (send feedback, cancel).
test_protocol_tables.py runs them and holds what the daemon sent against the event table."""
import json

from specs import (example_repository_script, example_repository_spec, final_answer,
                   task_spec)

FAN_OUT_ROLES = {"planner": {}, "worker": {}, "reducer": {}}
DOUBLE = "```python\nprint(int(input()) * 2)\n```"
HANGS = 600_000  # a model answer that never comes in time: the task ends some other way


def call(name, **arguments):
    """A script step: the model calls one tool."""
    return {"tool_calls": [{"name": name, "arguments": arguments}]}


def python(code, **more):
    return call("run_code", language="python", code=code, **more)


class Scenario:
    def __init__(self, name, spec, script, then=None, expects=()):
        self.name, self.spec, self.script, self.then = name, spec, script, then
        self.expects = set(expects)  # event types this scenario is there for

    def __repr__(self):
        return f"scenario {self.name!r}"


def fan_out(name, worker_steps, expects, subtasks=("count the words",), roles=None,
            planner=None, reducer=None, then=None, more_script=None, **spec_fields):
    script = {"roles": {
        "planner": planner or {"default": final_answer({"subtasks": list(subtasks)})},
        "worker": {"steps": worker_steps, "default": final_answer("4")},
        "reducer": reducer or {"default": final_answer("The text has 4 words.")},
        **(more_script or {})}}
    spec = task_spec("fan_out", f"{name}: count the words of: the quick brown fox",
                     roles or FAN_OUT_ROLES, **spec_fields)
    return Scenario(name, spec, script, then, expects)


def repository_scenarios(repository):
    """Tasks on `repository` (examples/repository made a git repository, allowed for the
    tenant): best_of_n whose two right answers differ, so they tie and the judge (who answers
    nothing valid) fails; fan_out whose two workers conflict in NOTES.md."""
    script = example_repository_script()
    right = script["roles"]["coder"]["steps"][1]
    other_right = json.loads(json.dumps(right).replace(
        "return sum(values) / len(values)", "return sum(values) / float(len(values))"))
    script["roles"]["coder"]["steps"] = [right, other_right]
    script["roles"]["judge"] = {"default": final_answer({"choice": 9})}
    tie = example_repository_spec({"path": repository})
    tie["options"] = {"n": 2, "use_judge": True}
    tie["roles"]["judge"] = {"model": "scripted", "policy": "reviewer"}
    return [
        Scenario("best_of_n on a repository, a tie and a judge that fails", tie, script,
                 expects={"repository.opened", "repository.worktree", "repository.committed",
                          "repository.base_tested", "repository.tests", "candidate.tested",
                          "candidate.tie", "judge.failed", "candidate.selected"}),
        Scenario("fan_out on a repository with a conflict",
                 example_repository_spec({"path": repository}, "repo-fan-out.json"),
                 example_repository_script(),
                 expects={"repository.conflict", "repository.merged"}),
    ]


def scenarios():
    cyclic = {"steps": [{"id": "a", "tool": "agent", "input": {"prompt": "${b}"}},
                        {"id": "b", "tool": "agent", "input": {"prompt": "${a}"}}]}
    dag_plan = {"steps": [
        {"id": "compute", "tool": "run_code", "input": {"language": "python", "code": "print(6*7)"}},
        {"id": "explain", "tool": "agent", "input": {"prompt": "Explain ${compute}"},
         "depends_on": ["compute"]}], "answer": "explain"}
    return [
        fan_out("run_code and a rejected answer",
                [python("print(len('the quick brown fox'.split()))")],
                reducer={"steps": [final_answer("four")], "default": final_answer({"words": 4})},
                output_schema={"type": "object", "required": ["words"]},
                expects={"task.state", "task.started", "agent.started", "llm.request",
                         "llm.usage", "tool.call", "sandbox.result", "tool.result",
                         "agent.finished", "plan.created", "answer.rejected", "task.finished"}),
        fan_out("malformed and refused tool calls",
                [{"fault": "invalid_tool_args", **python("print(1)")},
                 call("http_get", url="http://example.com/")],  # coder has no network
                expects={"tool.invalid", "tool.refused", "result.dropped"}),
        fan_out("a 503, then a 400",
                [{"fault": "503"}, {"fault": "400"}],
                planner={"steps": [{"fault": "400"}, {"fault": "400"}],
                         "default": final_answer({"subtasks": ["count the words"]})},
                expects={"llm.retry", "agent.error", "plan.replanned"}),
        fan_out("a GPU policy on a daemon without GPUs", [python("print(1)")],
                roles={"planner": {}, "worker": {"policy": "gpu-coder"}, "reducer": {}},
                expects={"gpu.failed"}),
        fan_out("a monitor that fails once",
                [{"latency_ms": 300, **python("print(4)")}],
                roles={**FAN_OUT_ROLES, "monitor": {}}, monitor={"interval_ms": 100},
                more_script={"monitor": {"steps": [{"fault": "400"}],
                                         "default": {"text": "The planner is done."}}},
                planner={"default": {"latency_ms": 300,
                                     **final_answer({"subtasks": ["count the words"]})}},
                expects={"monitor.error", "monitor.summary"}),
        fan_out("one scratch directory for two workers",
                [{"repeat": 2, **python("import time; time.sleep(2)", shared="scratch")}],
                subtasks=("count a", "count b"), shared_resources=[{"name": "scratch"}],
                expects={"token.acquired", "token.waiting", "token.handover", "token.released"}),
        fan_out("feedback to a busy worker",
                [{"latency_ms": 1500, **python("print(4)")}], then="feedback",
                expects={"feedback.received", "feedback.delivered"}),
        fan_out("a cancelled task", [{"latency_ms": HANGS, **final_answer("late")}],
                then="cancel", expects={"task.cancel_requested"}),
        fan_out("a token budget", [], budgets={"tokens": 10}, expects={"budget.exhausted"}),
        fan_out("a wall-time budget", [{"latency_ms": HANGS, **final_answer("late")}],
                budgets={"wall_time_ms": 300}, expects={"budget.exhausted"}),
        Scenario("best_of_n, first pass wins",
                 task_spec("best_of_n", "Double the number on stdin.", {"coder": {}},
                           options={"n": 2, "first_pass_wins": True},
                           tests=[{"stdin": "2", "expected_stdout": "4"}]),
                 {"roles": {"coder": {"default": final_answer(DOUBLE)}}},
                 expects={"candidate.tested", "candidate.won", "candidate.selected"}),
        Scenario("best_of_n with a tester",
                 task_spec("best_of_n", "Double the number on stdin.", {"coder": {}, "tester": {}},
                           options={"n": 1, "tester_agents": 1}),
                 {"roles": {"coder": {"default": final_answer(DOUBLE)},
                            "tester": {"default": final_answer(
                                {"tests": [{"stdin": "5", "expected_stdout": "10"}]})}}},
                 expects={"tests.written", "candidate.selected"}),
        Scenario("best_of_n, a tie between candidates that behave differently",
                 task_spec("best_of_n", "Double the number on stdin.", {"coder": {}},
                           options={"n": 2},
                           tests=[{"stdin": "2", "expected_stdout": "4"},
                                  {"stdin": "5", "expected_stdout": "10"}]),
                 # They differ on 3, an input between the tests' own.
                 {"roles": {"coder": {"steps": [final_answer(DOUBLE), final_answer(
                     "```python\nn = int(input())\nprint(n * 2 if n in (2, 5) else 0)\n```")]}}},
                 expects={"candidates.probed", "candidate.tie"}),
        Scenario("best_of_n, a tester's test every candidate fails",
                 task_spec("best_of_n", "Double the number on stdin.", {"coder": {}, "tester": {}},
                           options={"n": 2, "tester_agents": 1}),
                 {"roles": {"coder": {"default": final_answer(DOUBLE)},
                            "tester": {"default": final_answer(
                                {"tests": [{"stdin": "5", "expected_stdout": "10"},
                                           {"stdin": "3", "expected_stdout": "7"}]})}}},
                 expects={"tests.discarded", "candidate.selected"}),
        Scenario("vote with a debate round",
                 task_spec("vote", "What is six times seven?", {"voter": {}},
                           options={"n": 3, "debate_rounds": 1, "normalization": "number"}),
                 # Requests 1-3 are the first round, 4-6 the debate: one reviser gives no number.
                 {"roles": {"voter": {"steps": [final_answer("42")] * 3 + [final_answer("six")],
                                      "default": final_answer("42")}}},
                 expects={"vote.cast", "vote.debate", "vote.result", "result.dropped"}),
        Scenario("moa",
                 task_spec("moa", "Write a haiku.", {"proposer": {}, "aggregator": {}},
                           options={"layers": 1, "proposers": 2}),
                 {"roles": {"proposer": {"default": final_answer("draft {{n}}")},
                            "aggregator": {"default": final_answer("final")}}},
                 expects={"moa.layer"}),
        Scenario("dag with a cyclic plan first",
                 task_spec("dag", "Compute and explain.", {"planner": {}, "worker": {}}),
                 {"roles": {"planner": {"steps": [final_answer(cyclic)],
                                        "default": final_answer(dag_plan)},
                            "worker": {"default": final_answer("It is 42.")}}},
                 expects={"plan.invalid", "plan.replanned", "plan.created", "step.started",
                          "step.finished"}),
    ]
