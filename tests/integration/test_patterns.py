"""The five patterns end to end through the daemon: a client submits, follows the events to
the end, and checks the answer, the pattern's own events and what the scripted model was
asked. Sandboxed code runs for real (run_code, best_of_n's tests)."""
import collections
import unittest

from harness import StackTest
from specs import check_sequence, fan_out_script, fan_out_spec, final_answer, task_spec


def run_code(language, code):
    return {"tool_calls": [{"name": "run_code", "arguments": {"language": language, "code": code}}]}


class PatternTest(StackTest):
    async def run_task(self, spec, script):
        self.load_script(script)
        task_id = await self.client.submit(spec)
        events = await self.client.follow(task_id, timeout=180)
        check_sequence(self, events, task_id)
        finished = events[-1]
        self.assertEqual(finished["type"], "task.finished")
        return finished["data"], events

    def roles_asked(self):
        return collections.Counter(r["role"] for r in self.stack.llm.log())

    async def test_fan_out(self):
        script = fan_out_script(subtasks=["count a", "count b", "count c", "count d"])
        script["roles"]["worker"] = {"steps": [run_code("python", "print(21*2)")],
                                     "default": final_answer("42")}
        data, events = await self.run_task(fan_out_spec(), script)
        self.assertEqual(data["state"], "succeeded", data)
        self.assertEqual(data["result"]["answer"], "merged answer")
        types = collections.Counter(e["type"] for e in events)
        self.assertEqual(types["plan.created"], 1)
        self.assertEqual(types["agent.started"], 6)  # planner, 4 workers, reducer
        self.assertGreaterEqual(types["sandbox.result"], 1)
        reducer_prompt = [r for r in self.stack.llm.log() if r["role"] == "reducer"][0]
        self.assertIn("42", str(reducer_prompt["request"]["messages"]))

    async def test_dag(self):
        plan = {"steps": [
            {"id": "compute", "tool": "run_code",
             "input": {"language": "python", "code": "print(6*7)"}},
            {"id": "explain", "tool": "agent", "input": {"prompt": "Explain the number ${compute}"},
             "depends_on": ["compute"]}],
            "answer": "explain"}
        script = {"roles": {"planner": {"default": final_answer(plan)},
                            "worker": {"default": final_answer("It is 42.")}}}
        spec = task_spec("dag", "Compute and explain.", {"planner": {}, "worker": {}})
        data, events = await self.run_task(spec, script)
        self.assertEqual(data["state"], "succeeded", data)
        self.assertEqual(data["result"]["answer"], "It is 42.")
        steps = [e["data"] for e in events if e["type"] == "step.finished"]
        self.assertEqual({s["step"]: s["status"] for s in steps}, {"compute": "done", "explain": "done"})
        worker = [r for r in self.stack.llm.log() if r["role"] == "worker"][0]
        self.assertIn("Explain the number 42", worker["last_user"])

    async def test_dag_invalid_plan_is_sent_back(self):
        cyclic = {"steps": [{"id": "a", "tool": "agent", "input": {"prompt": "${b}"}},
                            {"id": "b", "tool": "agent", "input": {"prompt": "${a}"}}]}
        good = {"steps": [{"id": "a", "tool": "agent", "input": {"prompt": "say hi"}}]}
        script = {"roles": {"planner": {"steps": [final_answer(cyclic), final_answer(good)]},
                            "worker": {"default": final_answer("hi")}}}
        spec = task_spec("dag", "Say hi.", {"planner": {}, "worker": {}})
        data, events = await self.run_task(spec, script)
        self.assertEqual(data["state"], "succeeded", data)
        self.assertTrue([e for e in events if e["type"] in ("plan.invalid", "plan.replanned")])

    async def test_best_of_n(self):
        wrong = "```python\nprint(int(input()) + 1)\n```"
        right = "```python\nprint(int(input()) * 2)\n```"
        script = {"roles": {"coder": {"steps": [final_answer(wrong), final_answer(right),
                                                final_answer(wrong)]}}}
        spec = task_spec("best_of_n", "Double the number on stdin.", {"coder": {}},
                         options={"n": 3},
                         tests=[{"stdin": "2", "expected_stdout": "4"},
                                {"stdin": "5", "expected_stdout": "10"}])
        data, events = await self.run_task(spec, script)
        self.assertEqual(data["state"], "succeeded", data)
        self.assertIn("* 2", data["result"]["answer"])
        tested = [e["data"] for e in events if e["type"] == "candidate.tested"]
        self.assertEqual(sorted(t["passed"] for t in tested), [0, 0, 2])

    async def test_vote(self):
        script = {"roles": {"voter": {"steps": [final_answer("Paris"), final_answer(" paris "),
                                                final_answer("Lyon"), final_answer("PARIS"),
                                                final_answer("Marseille")]}}}
        spec = task_spec("vote", "Capital of France?", {"voter": {}}, options={"n": 5})
        data, events = await self.run_task(spec, script)
        self.assertEqual(data["state"], "succeeded", data)
        self.assertEqual(str(data["result"]["answer"]).strip().lower(), "paris")
        self.assertEqual(self.roles_asked()["voter"], 5)

    async def test_vote_tie_is_reported(self):
        script = {"roles": {"voter": {"steps": [final_answer("yes"), final_answer("no")]}}}
        spec = task_spec("vote", "Is it?", {"voter": {}}, options={"n": 2})
        data, _ = await self.run_task(spec, script)
        self.assertEqual(data["state"], "failed", data)
        self.assertIn("tie", data["result"]["error"])

    async def test_moa(self):
        script = {"roles": {"proposer": {"default": final_answer("draft {{n}}")},
                            "aggregator": {"default": final_answer("final synthesis")}}}
        spec = task_spec("moa", "Write a haiku.", {"proposer": {}, "aggregator": {}},
                         options={"layers": 2, "proposers": 3})
        data, events = await self.run_task(spec, script)
        self.assertEqual(data["state"], "succeeded", data)
        self.assertEqual(data["result"]["answer"], "final synthesis")
        self.assertEqual(self.roles_asked(), {"proposer": 6, "aggregator": 1})
        layers = [e["data"]["layer"] for e in events if e["type"] == "moa.layer"]
        self.assertEqual(layers, [1, 2])
        second_layer = [r for r in self.stack.llm.log() if r["role"] == "proposer"][3:]
        self.assertTrue(all("draft" in r["last_user"] for r in second_layer))

    async def test_output_schema_and_budget(self):
        script = fan_out_script()
        script["roles"]["reducer"] = {"default": final_answer({"words": 4})}
        spec = fan_out_spec(output_schema={"type": "object", "required": ["words"],
                                           "properties": {"words": {"type": "integer"}}})
        data, _ = await self.run_task(spec, script)
        self.assertEqual(data["state"], "succeeded", data)
        self.assertEqual(data["result"]["answer"], {"words": 4})
        spec = fan_out_spec(budgets={"tokens": 10})
        data, _ = await self.run_task(spec, fan_out_script())
        self.assertEqual(data["state"], "budget_exhausted", data)
        self.assertEqual(data["result"]["ended_by"], "tokens")


if __name__ == "__main__":
    unittest.main()
