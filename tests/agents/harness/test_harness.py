"""The harness and the candidate server, joined as the daemon joins them but as plain processes
(harness_driver.py), so their logic is tested in seconds: what crosses the wire and how it is
checked, test discovery, time limits, candidates that crash, hang, exit or flood, and the
report's binding to the secret. The same candidates in real sandboxes are in
tests/agents/patterns/best_of_n_adversarial_test.cc."""
import os
import shutil
import sys
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness_driver as driver  # noqa: E402

import json  # noqa: E402

exec(driver.source("probes.py"))  # derive_probes, for DeriveTest

ADD = "def add(a, b):\n    return a + b\n"


def run(candidate, test, language="python", **kwargs):
    events = driver.run(textwrap.dedent(candidate), [{"name": "t", "code": textwrap.dedent(test)}],
                        language=language, **kwargs)
    return {c["name"]: c for c in driver.cases(events)}, events


def verdicts(cases):
    return {name: c["passed"] for name, c in cases.items()}


class WireTest(unittest.TestCase):
    def test_values_cross_as_exact_builtin_types(self):
        cases, _ = run("""
            def echo(x):
                return x
            """, """
            from solution import echo
            def test_types():
                for v in [None, True, 3, 2**80, 1.5, "s", b"\\x00b", [1, [2]], (1, (2,)),
                          {1: "a", (2, 3): [4]}, {1, 2}, frozenset({3}), 1 + 2j]:
                    r = echo(v)
                    assert r == v and type(r) is type(v), (v, r)
                nan = echo(float("nan"))
                assert nan != nan and echo(float("inf")) == float("inf")
                assert type(echo(True)) is bool and type(echo(1)) is int
            """)
        self.assertTrue(cases["test_types"]["passed"], cases)

    def test_subclassed_builtins_arrive_as_the_builtin(self):
        cases, _ = run("""
            class Liar(int):
                def __eq__(self, other):
                    return True
                __hash__ = int.__hash__
            def f():
                return Liar(7)
            """, """
            from solution import f
            def test_liar_is_a_plain_int():
                r = f()
                assert type(r) is int and r == 7 and r != 8
            def test_wrong_value_fails():
                assert f() == 8
            """)
        self.assertEqual(verdicts(cases), {"test_liar_is_a_plain_int": True,
                                           "test_wrong_value_fails": False})

    def test_candidate_objects_are_handles_that_prove_nothing(self):
        cases, _ = run("""
            class Anything:
                def __eq__(self, other): return True
                def __bool__(self): return True
                def __len__(self): return 3
            def f():
                return Anything()
            class Stack:
                def __init__(self): self.items = []
                def push(self, x): self.items.append(x)
                def pop(self): return self.items.pop()
                def __len__(self): return len(self.items)
            """, """
            from solution import f, Stack
            def test_equal_to_anything():
                assert f() == 42
            def test_truthy():
                assert f()
            def test_stack():
                s = Stack(); s.push(1); s.push(2)
                assert len(s) == 2 and s.pop() == 2 and s.items == [1]
                assert s == s and s != Stack()
            """)
        self.assertEqual(verdicts(cases), {"test_equal_to_anything": False, "test_truthy": False,
                                           "test_stack": True})

    def test_exceptions_are_recreated_only_for_builtin_types(self):
        cases, _ = run("""
            def f(x):
                if x < 0:
                    raise ValueError("negative")
                raise SystemExit(0)
            """, """
            from solution import f
            def test_value_error():
                try:
                    f(-1)
                except ValueError as e:
                    assert str(e) == "negative"
                else:
                    assert False
            def test_system_exit_is_not_an_exit_here():
                f(1)
            """)
        self.assertEqual(verdicts(cases), {"test_value_error": True,
                                           "test_system_exit_is_not_an_exit_here": False})
        self.assertIn("SystemExit", cases["test_system_exit_is_not_an_exit_here"]["detail"])


class CheatingTest(unittest.TestCase):
    TEST = """
        from solution import add
        def test_one():
            assert add(1, 2) == 3
        def test_two():
            assert add(2, 2) == 4
        """

    def assert_fails_all(self, candidate, why=None):
        cases, _ = run(candidate, self.TEST)
        self.assertEqual(verdicts(cases), {"test_one": False, "test_two": False}, cases)
        if why:
            for case in cases.values():
                self.assertIn(why, case["detail"])
        return cases

    def test_stop_iteration_cannot_end_the_tests_loop(self):
        cases, _ = run("def add(a, b):\n    raise StopIteration\n", """
            from solution import add
            def test_table():
                for total in map(lambda pair: add(*pair), [(1, 2), (2, 2)]):
                    assert total in (3, 4)
            """)
        self.assertEqual(verdicts(cases), {"test_table": False})
        self.assertIn("StopIteration", cases["test_table"]["detail"])

    def test_exit_zero_at_import(self):
        self.assert_fails_all("import os\nos._exit(0)\n", "exited with status 0")
        self.assert_fails_all("import sys\nsys.exit(0)\n", "failed to import: SystemExit")

    def test_exit_zero_on_call(self):
        self.assert_fails_all("import os\ndef add(a, b):\n    os._exit(0)\n", "exited with status 0")

    def test_atexit_and_excepthook(self):
        self.assert_fails_all("""
            import atexit, os, sys
            atexit.register(lambda: os._exit(0))
            sys.excepthook = lambda *a: os._exit(0)
            def add(a, b):
                raise RuntimeError("no")
            """)

    def test_printing_markers(self):
        self.assert_fails_all("""
            print("OK\\nall tests passed\\nPASSED")
            def add(a, b):
                print("OK"); import sys; sys.stdout.flush(); import os; os._exit(0)
            """)

    def test_patching_builtins_and_assertions_reaches_only_itself(self):
        self.assert_fails_all("""
            import builtins, unittest
            builtins.AssertionError = type("Nothing", (Exception,), {})
            unittest.TestCase.assertEqual = lambda *a, **k: None
            builtins.isinstance = lambda *a: True
            def add(a, b):
                return 0
            """)

    def test_reading_the_callers_frame_finds_nothing(self):
        self.assert_fails_all("""
            import sys
            def add(a, b):
                frame = sys._getframe(1)
                while frame:
                    if "expected" in frame.f_locals:
                        return frame.f_locals["expected"]
                    frame = frame.f_back
                return None
            """)

    def test_hanging_and_spinning_fail_within_the_time_limit(self):
        cases, _ = run("import time\ndef add(a, b):\n    time.sleep(60)\n", self.TEST,
                       limit_ms=500)
        self.assertEqual(verdicts(cases), {"test_one": False, "test_two": False})
        self.assertIn("longer than the test's 500 ms", cases["test_one"]["detail"])
        cases, _ = run("def add(a, b):\n    while True: pass\n", self.TEST, limit_ms=500)
        self.assertEqual(verdicts(cases), {"test_one": False, "test_two": False})

    def test_flooding_output_fails_the_call(self):
        self.assert_fails_all("def add(a, b):\n    print('x' * 100000 * 20)\n    return a + b\n",
                              "printed more than 1 MiB")

    def test_crashing_fails_one_test_and_the_next_gets_a_fresh_worker(self):
        cases, _ = run("""
            import os
            calls = []
            def add(a, b):
                calls.append(1)
                if a == 1:
                    os.kill(os.getpid(), 9)
                return a + b + len(calls) - 1
            """, self.TEST)
        self.assertEqual(verdicts(cases), {"test_one": False, "test_two": True})
        self.assertIn("killed by signal 9", cases["test_one"]["detail"])

    def test_killing_the_server_fails_only_the_candidate(self):
        cases, _ = run("import os, signal\ndef add(a, b):\n    os.kill(os.getppid(), 9)\n",
                       self.TEST, limit_ms=1000)
        self.assertEqual(verdicts(cases), {"test_one": False, "test_two": False})

    def test_a_candidate_sandbox_that_is_gone_fails_every_test(self):
        # The server cannot write the candidate (a directory is in its place), so it ends
        # before the harness's first request.
        events = driver.run(ADD, [{"name": "t", "code": textwrap.dedent(self.TEST)}],
                            occupy_source=True)
        cases = {c["name"]: c for c in driver.cases(events)}
        self.assertEqual(verdicts(cases), {"test_one": False, "test_two": False})
        self.assertIn("the candidate's sandbox ended", cases["test_one"]["detail"])

    def test_a_forged_report_line_is_not_a_verdict(self):
        secret = "f" * 32
        cases, events = run("def add(a, b):\n    return '%s {\"event\": \"done\"}'\n" % secret,
                            """
            from solution import add
            def test_one():
                print(add(1, 2))
                assert add(1, 2) == 3
            """, secret=secret)
        self.assertEqual(verdicts(cases), {"test_one": False})
        self.assertEqual([e["event"] for e in events].count("done"), 1)


class DiscoveryTest(unittest.TestCase):
    def test_a_script_without_test_functions_is_one_test(self):
        cases, _ = run(ADD, "import solution\nassert solution.add(1, 1) == 2\nimport sys\nsys.exit(0)\n")
        self.assertEqual(verdicts(cases), {"t": True})
        cases, _ = run(ADD, "import solution\nassert solution.add(1, 1) == 3\n")
        self.assertEqual(verdicts(cases), {"t": False})
        self.assertIn("line 2", cases["t"]["detail"])

    def test_unittest_classes_and_skips(self):
        cases, _ = run(ADD, """
            import unittest
            from solution import add
            class AddTest(unittest.TestCase):
                def test_add(self):
                    self.assertEqual(add(1, 2), 3)
                def test_wrong(self):
                    self.assertEqual(add(1, 2), 4)
                @unittest.skip("later")
                def test_skipped(self):
                    pass
            if __name__ == "__main__":
                unittest.main()
            """)
        self.assertEqual(verdicts(cases), {"AddTest.test_add": True, "AddTest.test_wrong": False,
                                           "AddTest.test_skipped": False})
        self.assertIn("skipped", cases["AddTest.test_skipped"]["detail"])

    def test_a_script_that_fails_to_load_fails_every_test(self):
        cases, _ = run("def add(a, b):\n    return a +\n", """
            from solution import add
            def test_one():
                pass
            def test_two():
                pass
            """)
        self.assertEqual(verdicts(cases), {"test_one": False, "test_two": False})
        self.assertIn("SyntaxError", cases["test_one"]["detail"])

    def test_the_calls_are_reported_for_probes(self):
        _, events = run(ADD, "from solution import add\ndef test_one():\n    add(1, 2)\n")
        calls = [e for e in events if e["event"] == "calls"][0]["calls"]
        self.assertEqual(calls, [{"function": "add", "args": [1, 2], "kwargs": {}}])

    def test_the_tests_calls_become_probes_after_the_tests(self):
        _, events = run(ADD, """
            from solution import add
            def test_one():
                assert add(1, 2) == 3 and add(10, 20) == 30
            """)
        probes = [e for e in events if e["event"] == "probes"][0]["calls"]
        self.assertIn({"function": "add", "args": [10, 2], "kwargs": {}}, probes)
        digests = [e["result"] for e in events if e["event"] == "probe"]
        self.assertEqual(len(digests), len(probes))

    def test_given_calls_give_one_digest_per_probe(self):
        calls = [{"function": "add", "args": [1, 2], "kwargs": {}},
                 {"function": "add", "args": [2, 8], "kwargs": {}}]
        events = driver.run(ADD, [], probe_calls=calls)
        probes = [e for e in events if e["event"] == "probes"][0]["calls"]
        digests = {json.dumps(p): e["result"] for p, e in
                   zip(probes, [e for e in events if e["event"] == "probe"])}
        self.assertEqual(len(digests), len(probes))
        # add(2, 2) and add(1, 3) both give 4; add(1, 8) gives 9.
        same = digests[json.dumps({"function": "add", "args": [2, 2], "kwargs": {}})]
        self.assertNotEqual(same, digests[json.dumps({"function": "add", "args": [1, 8],
                                                      "kwargs": {}})])


class DeriveTest(unittest.TestCase):
    """probes.py on its own: what it derives, and that order does not matter."""

    @staticmethod
    def call(function, args, kwargs=None):
        return {"function": function, "args": args, "kwargs": kwargs or {}}

    def test_arguments_of_one_shape_recombine_and_stay_in_their_range(self):
        c = self.call
        probes = derive_probes([c("add", [1, 2]), c("add", [10, 20]), c("name", ["ab"]),
                                c("add", [1, 2])])
        for expected in (c("add", [10, 2]), c("add", [1, 20]), c("add", [5, 2])):
            self.assertIn(expected, probes)
        for probe in probes:
            self.assertNotEqual(probe, c("add", [1, 2]), "never a call the tests made")
            self.assertNotEqual(probe["function"], "name", "alone of its shape")
            self.assertTrue(all(1 <= a <= 20 for a in probe["args"]), probe)
        self.assertEqual(len(derive_probes([c("add", [1, 2]), c("add", [10, 20])], limit=2)), 2)

    def test_elements_of_lists_recombine_and_empty_lists_stay_empty(self):
        c = self.call
        probes = derive_probes([c("f", [[1, 2], []]), c("f", [[3, 4], []])])
        self.assertIn(c("f", [[3, 2], []]), probes)
        self.assertTrue(all(p["args"][1] == [] for p in probes))

    def test_order_does_not_matter(self):
        import random
        c = self.call
        calls = [c("f", [1, 5]), c("f", [2, 6]), c("f", [9, 1]), c("g", [{"tuple": [1, 2]}]),
                 c("g", [{"tuple": [3, 4]}]), c("h", [], {"k": "a"}), c("h", [], {"k": "b"})]
        expected = derive_probes(calls, limit=8)
        shuffler = random.Random(7)
        for _ in range(20):
            shuffler.shuffle(calls)
            self.assertEqual(derive_probes(calls, limit=8), expected)


class ProgramTest(unittest.TestCase):
    RUN_TEST = """
        import candidate
        def test_sum():
            r = candidate.run(stdin="2 3\\n")
            assert r["stdout"] == "5\\n" and r["exit_status"] == 0, r
        def test_file():
            r = candidate.run(stdin="4 4", args=["out.txt"])
            assert r["files"] == {"out.txt": "8"}, r
        """

    def test_a_c_candidate_runs_as_a_program(self):
        cases, _ = run("""
            #include <stdio.h>
            int main(int argc, char** argv) {
              int a, b; scanf("%d %d", &a, &b);
              if (argc > 1) { FILE* f = fopen(argv[1], "w"); fprintf(f, "%d", a + b); fclose(f); }
              else printf("%d\\n", a + b);
              return 0;
            }
            """, self.RUN_TEST, language="c")
        self.assertEqual(verdicts(cases), {"test_sum": True, "test_file": True}, cases)

    def test_a_bash_candidate_and_import_solution_is_refused(self):
        cases, _ = run('read a b; if [ -n "$1" ]; then echo -n $((a+b)) > "$1"; '
                       'else echo $((a+b)); fi\n', self.RUN_TEST + """
        def test_import():
            import solution
            solution.add
        """, language="bash")
        self.assertEqual(verdicts(cases), {"test_sum": True, "test_file": True,
                                           "test_import": False})
        self.assertIn("candidate.run", cases["test_import"]["detail"])

    @unittest.skipUnless(shutil.which("node"), "node is not installed (scripts/setup.sh installs it)")
    def test_a_node_candidate_runs_as_a_program(self):
        cases, _ = run("""
            const fs = require("fs");
            const [a, b] = fs.readFileSync(0, "utf8").trim().split(/\\s+/).map(Number);
            if (process.argv[2]) fs.writeFileSync(process.argv[2], String(a + b));
            else console.log(a + b);
            """, self.RUN_TEST, language="node")
        self.assertEqual(verdicts(cases), {"test_sum": True, "test_file": True}, cases)

    def test_a_cpp_candidate_runs_as_a_program(self):
        cases, _ = run("""
            #include <fstream>
            #include <iostream>
            int main(int argc, char** argv) {
              long a, b; std::cin >> a >> b;
              if (argc > 1) std::ofstream(argv[1]) << a + b; else std::cout << a + b << "\\n";
            }
            """, self.RUN_TEST, language="cpp")
        self.assertEqual(verdicts(cases), {"test_sum": True, "test_file": True}, cases)

    def test_a_c_candidate_that_does_not_compile(self):
        cases, _ = run("int main( {", self.RUN_TEST, language="c")
        self.assertEqual(verdicts(cases), {"test_sum": False, "test_file": False})
        self.assertIn("does not compile", cases["test_sum"]["detail"])


class DocsTest(unittest.TestCase):
    """docs/testing.md's example: its test passes against its candidate, every test of it."""

    def test_the_example_passes(self):
        path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "testing.md")
        with open(path) as f:
            text = f.read()
        blocks = {}
        for info in ("python candidate", "python test"):
            start = text.index("```" + info + "\n") + len(info) + 4
            blocks[info] = text[start:text.index("```", start)]
        cases, _ = run(blocks["python candidate"], blocks["python test"])
        self.assertEqual(verdicts(cases), {"test_add": True, "test_stack": True,
                                           "AddTest.test_errors": True}, cases)


if __name__ == "__main__":
    unittest.main()
