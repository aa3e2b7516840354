"""The reference tables of docs/protocol.md, held against a live agentd (protocol_tables.py
reads them), so that a table that drifts from the daemon fails here:
- the task-spec table: every documented field and own field is accepted and kept as given,
  the required ones are required, a wrong type or an undocumented field is refused with the
  JSON pointer of the value;
- the pattern table: the patterns server.info names, each pattern's roles, its options with
  their defaults (task.get shows them filled in), ranges and other values;
- the event table: every documented type is sent in the scenarios of event_scenarios.py, with
  the data fields the table shows, and the daemon sends no type the table lacks;
- the limits on request ids and idempotency keys that protocol.md states.
"""
import asyncio
import json
import os
import unittest

import event_scenarios
import protocol_tables
from harness import SOURCE_DIR, StackTest
from specs import check_sequence, make_example_repository

DOC = os.path.join(SOURCE_DIR, "docs", "protocol.md")

# Valid values for the spec fields and own fields the table documents, by "field.own_field".
# A field documented without a value here fails the test, naming it: add one.
SAMPLES = {
    "pattern": "fan_out", "prompt": "Count the words of: the quick brown fox",
    "roles.model": "scripted", "roles.policy": "coder", "roles.system_prompt": "Be brief.",
    "tests.name": "doubles", "tests.stdin": "2", "tests.expected_stdout": "4",
    "tests.language": "python", "tests.code": "import sys; sys.exit(0)",
    "tests.expected_exit_status": 0, "tests.expected_files": {"out.txt": "4"},
    "tests.time_limit_ms": 2000,
    "output_schema": {"type": "string"},
    "budgets.tokens": 100_000, "budgets.cost_usd": 2.5, "budgets.wall_time_ms": 600_000,
    "input_files.path": "data/in.txt", "input_files.content": "aGVsbG8=",
    "input_files.encoding": "base64",
    "monitor.interval_ms": 5000,
    "shared_resources.name": "scratch", "shared_resources.kind": "scratch",
    "resume": True,
}
WRONG_TYPE = {"string": 5, "object": "an object", "array": {"not": "a list"}, "bool": "yes"}

# Event types no scenario here can produce, and why; each must still be documented and be
# emitted somewhere in the C++ sources, so that a rename fails this test.
NEEDS_GPUS = {
    "gpu.waiting": "a GPU lease that has to wait needs GPUs (tests/daemon fakes a GPU tree)",
    "gpu.granted": "a granted GPU lease needs GPUs (tests/daemon fakes a GPU tree)",
    "gpu.released": "a released GPU lease needs GPUs (tests/daemon fakes a GPU tree)",
}
# Event types no client can make the daemon send on purpose, and why.
UNPROVOKED = {
    "repository.commit_failed": "a commit fails only when the host's disk or the repository "
                                "breaks while the task runs",
}
# Emitted by the agents library but never by the daemon, which does not stream model answers
# (it leaves RuntimeOptions::stream_tokens off); protocol.md must not list these.
NOT_SENT_BY_DAEMON = {"llm.delta"}


def unknown_key(pointer, key):
    """The JSON pointer (RFC 6901) of the unknown key `key` found at `pointer`, as protocol.md
    promises: the key is one reference token, "~" written "~0" and "/" written "~1"."""
    return f"{pointer}/" + key.replace("~", "~0").replace("/", "~1")


def read_doc():
    with open(DOC) as f:
        return f.read()


class TablesReadTest(unittest.TestCase):
    """No daemon needed: the tables follow the conventions the reader knows, and the event
    table agrees with what the C++ sources emit."""

    def test_tables_parse(self):
        text = read_doc()
        self.assertGreaterEqual(len(protocol_tables.spec_fields(text)), 10)
        self.assertEqual(len(protocol_tables.patterns(text)), 5)
        self.assertGreaterEqual(len(protocol_tables.events(text)), 40)

    def test_event_table_matches_the_sources(self):
        documented = set(protocol_tables.events(read_doc()))
        emitted = protocol_tables.emitted_in_sources(SOURCE_DIR)
        self.assertIn("task.state", emitted, "the source scan found nothing: is SOURCE_DIR right?")
        self.assertEqual(emitted - documented - NOT_SENT_BY_DAEMON, set(),
                         "the sources emit these types; protocol.md's event table lacks them")
        self.assertEqual(documented - emitted, set(), "documented but emitted nowhere")
        self.assertEqual(NOT_SENT_BY_DAEMON & documented, set(), "the daemon never sends these")
        for event_type in NEEDS_GPUS:
            self.assertIn(event_type, emitted & documented, NEEDS_GPUS[event_type])
        for event_type in UNPROVOKED:
            self.assertIn(event_type, emitted & documented, UNPROVOKED[event_type])


class SpecTableTest(StackTest):
    # A few hundred requests in seconds: the default 50 a second would refuse some.
    stack_options = {"limits": {"requests_per_second": 1000, "request_burst": 1000}}

    @classmethod
    def setUpClass(cls):
        text = read_doc()
        cls.fields = protocol_tables.spec_fields(text)
        cls.patterns = protocol_tables.patterns(text)
        super().setUpClass()

    # --- building specs from the tables ---------------------------------------------------

    def sample(self, key):
        if key not in SAMPLES:
            self.fail(f"protocol.md documents {key}; give SAMPLES in this test a valid value")
        return SAMPLES[key]

    def own(self, name, shape):
        return {field: self.sample(f"{name}.{field}") for field, _ in shape}

    def roles(self, pattern, options, monitor):
        names = list(pattern.required_roles)
        for role, condition in pattern.conditional_roles.items():
            if any(options.get(k, pattern.options[k].default) != pattern.options[k].default
                   for k in condition):
                names.append(role)
        if monitor:
            names.append("monitor")
        return {role: self.own("roles", self.fields["roles"].shapes[0]) for role in names}

    def full_spec(self, pattern_name="fan_out", options=None, omit=()):
        """A spec with every documented field and own field, less those in `omit`."""
        pattern = self.patterns[pattern_name]
        spec = {}
        for name, field in self.fields.items():
            if name in omit or name == "roles":
                continue
            if name == "options":
                spec[name] = {o.name: o.default for o in pattern.options.values()}
                spec[name].update(options or {})
            elif name == "pattern":
                spec[name] = pattern_name
            elif field.type == "array" and field.shapes:
                spec[name] = [self.own(name, shape) for shape in field.shapes]
            elif field.shapes:
                spec[name] = self.own(name, field.shapes[0])
            else:
                spec[name] = self.sample(name)
        if "roles" not in omit:
            spec["roles"] = self.roles(pattern, spec.get("options", {}), "monitor" in spec)
        return spec

    def own_fields(self):
        """(field, JSON pointer of an object holding its own fields, that object's shape)."""
        for name, field in self.fields.items():
            for index, shape in enumerate(field.shapes):
                if name == "roles":
                    yield name, "/roles/planner", shape
                elif field.type == "array":
                    yield name, f"/{name}/{index}", shape
                else:
                    yield name, f"/{name}", shape

    @staticmethod
    def at(spec, pointer):
        for part in pointer.strip("/").split("/"):
            spec = spec[int(part)] if isinstance(spec, list) else spec[part]
        return spec

    # --- the daemon's answers -------------------------------------------------------------

    async def accepted(self, spec, what):
        """The spec as task.get shows it; the task is cancelled at once."""
        response = await self.client.request("task.submit", {"spec": spec})
        self.assertNotIn("error", response, f"{what}: refused: {json.dumps(spec)[:600]}")
        task_id = response["result"]["task_id"]
        shown = (await self.client.call("task.get", {"task_id": task_id}))["spec"]
        await self.client.request("task.cancel", {"task_id": task_id})  # may have finished
        return shown

    async def refused(self, spec, path, what, exact=True):
        """The error; `path` is the pointer it must name (or a tuple of those it may name),
        or with exact=False one the pointer it names must be under."""
        response = await self.client.request("task.submit", {"spec": spec})
        if "result" in response:
            await self.client.request("task.cancel", {"task_id": response["result"]["task_id"]})
        self.assertIn("error", response, f"{what}: accepted")
        error = response["error"]
        self.assertEqual(error["code"], -32602, f"{what}: {error}")
        actual = error["data"]["path"]
        if exact:
            self.assertIn(actual, path if isinstance(path, tuple) else (path,),
                          f"{what}: {error['message']}")
        else:
            self.assertTrue(actual.startswith(path + "/"), f"{what}: {error['message']}")
        return error

    # --- the task-spec table ----------------------------------------------------------------

    async def test_every_documented_field_is_accepted_as_given(self):
        spec = self.full_spec()
        self.assertEqual(await self.accepted(spec, "every documented field"), spec,
                         "task.get shows the spec otherwise: a field or own field the table "
                         "documents is not what the daemon understood")

    async def test_required_fields_and_own_fields(self):
        for name, field in self.fields.items():
            with self.subTest(field=name):
                spec = self.full_spec(omit={name})
                if field.required:
                    await self.refused(spec, f"/spec/{name}", f"{name} left out")
                else:
                    await self.accepted(spec, f"{name} left out (the table says it may be)")
        for name, pointer, shape in self.own_fields():
            for own, optional in shape:
                with self.subTest(field=f"{pointer}/{own}"):
                    spec = self.full_spec()
                    del self.at(spec, pointer)[own]
                    if optional:
                        await self.accepted(spec, f"{pointer}/{own} left out (marked ?)")
                    else:
                        await self.refused(spec, "/spec" + pointer, f"{pointer}/{own} left out",
                                           exact=False)

    async def test_wrong_types_are_refused_at_the_field(self):
        for name, field in self.fields.items():
            with self.subTest(field=name):
                spec = self.full_spec()
                spec[name] = WRONG_TYPE[field.type]
                await self.refused(spec, f"/spec/{name}", f"{name} as {spec[name]!r}")

    async def test_undocumented_fields_are_refused_by_pointer(self):
        spec = self.full_spec()
        spec["colour"] = "blue"
        await self.refused(spec, unknown_key("/spec", "colour"), "an undocumented field")
        for name, pointer, _ in self.own_fields():
            with self.subTest(field=pointer):
                spec = self.full_spec()
                self.at(spec, pointer)["colour"] = "blue"
                await self.refused(spec, unknown_key("/spec" + pointer, "colour"),
                                   f"{pointer}/colour")
        # What protocol.md used to show; the daemon's names (milliseconds) are the contract.
        for old in ({"budgets": {"wall_time": 60}}, {"monitor": {"enabled": True}},
                    {"monitor": {"interval": 5}}):
            (name, value), = old.items()
            with self.subTest(old=old):
                spec = self.full_spec()
                spec[name] = value
                await self.refused(spec, unknown_key(f"/spec/{name}", next(iter(value))),
                                   f"old form {old}")

    # --- the pattern table ------------------------------------------------------------------

    async def test_patterns_are_those_the_daemon_runs(self):
        info = await self.client.call("server.info", {})
        self.assertEqual(sorted(info["patterns"]), sorted(self.patterns))

    async def test_defaults(self):
        for pattern in self.patterns.values():
            with self.subTest(pattern=pattern.name):
                spec = self.full_spec(pattern.name)
                spec["options"] = {}
                shown = await self.accepted(spec, f"{pattern} without options")
                self.assertEqual(shown["options"],
                                 {o.name: o.default for o in pattern.options.values()},
                                 "task.get shows other options or defaults than the table")

    async def test_option_values_and_ranges(self):
        for pattern in self.patterns.values():
            for option in pattern.options.values():
                values = list(option.values[1:]) + list(option.bounds or ())
                if isinstance(option.default, bool):
                    values.append(not option.default)
                for value in values:
                    with self.subTest(pattern=pattern.name, option=option.name, value=value):
                        spec = self.full_spec(pattern.name, {option.name: value})
                        shown = await self.accepted(spec, f"{pattern}, {option} = {value!r}")
                        self.assertEqual(shown["options"][option.name], value)
                for value in ((option.bounds[0] - 1, option.bounds[1] + 1) if option.bounds
                              else ()):
                    with self.subTest(pattern=pattern.name, option=option.name, value=value):
                        await self.refused(self.full_spec(pattern.name, {option.name: value}),
                                           f"/spec/options/{option.name}",
                                           f"{pattern}, {option} = {value!r}, out of range")

    async def test_roles(self):
        for pattern in self.patterns.values():
            with self.subTest(pattern=pattern.name):
                for role in pattern.required_roles:
                    spec = self.full_spec(pattern.name)
                    del spec["roles"][role]
                    await self.refused(spec, f"/spec/roles/{role}", f"{pattern} without {role}")
                for role in pattern.optional_roles:
                    spec = self.full_spec(pattern.name)
                    spec["roles"][role] = spec["roles"][pattern.required_roles[0]]
                    await self.accepted(spec, f"{pattern} with the optional {role}")
                for role, condition in pattern.conditional_roles.items():
                    spec = self.full_spec(pattern.name, condition)
                    self.assertIn(role, spec["roles"])
                    await self.accepted(spec, f"{pattern}, {role} with {condition}")
                    del spec["roles"][role]
                    await self.refused(spec, f"/spec/roles/{role}", f"{condition} without {role}")
                    spec = self.full_spec(pattern.name)
                    spec["roles"][role] = spec["roles"][pattern.required_roles[0]]
                    await self.refused(spec, unknown_key("/spec/roles", role),
                                       f"{role} without {condition}")
                spec = self.full_spec(pattern.name, omit={"monitor"})
                spec["roles"]["monitor"] = spec["roles"][pattern.required_roles[0]]
                await self.refused(spec, unknown_key("/spec/roles", "monitor"),
                                   "a monitor role, no monitor")

    async def test_unknown_key_is_named_by_its_json_pointer(self):
        spec = self.full_spec()
        spec["colour"] = "blue"
        error = await self.refused(spec, "/spec/colour", "an undocumented field")
        self.assertIn("/spec/colour: unknown field; expected one of: ", error["message"])
        self.assertTrue(error["data"]["expected"].startswith("one of: "), error)
        self.assertIn("prompt", error["data"]["expected"][len("one of: "):].split(", "))
        spec = self.full_spec()
        spec["roles"]["judge"] = spec["roles"]["worker"]
        error = await self.refused(spec, "/spec/roles/judge", "a role fan_out lacks")
        self.assertIn("/spec/roles/judge: unknown role for fan_out; expected one of: ",
                      error["message"])
        # A key holding "/" and "~" is still one token, escaped so that it resolves.
        spec = self.full_spec()
        spec["a/b~c"] = 1
        await self.refused(spec, "/spec/a~1b~0c", "a key with / and ~")

    # --- ids --------------------------------------------------------------------------------

    async def raw(self, request_id):
        return await self.client.send_raw(json.dumps(
            {"jsonrpc": "2.0", "id": request_id, "method": "server.info", "params": {}}))

    async def test_request_ids(self):
        for request_id in ("x" * 256, "é" * 128, -7, None, 2**63 - 1):
            with self.subTest(id=str(request_id)[:20]):
                answer = await self.raw(request_id)
                self.assertIn("result", answer)
                self.assertEqual(answer["id"], request_id)
        # 257 bytes, and 258 bytes in 129 characters: the limit is on bytes.
        for request_id in ("x" * 257, "é" * 129, 1.5, {"id": 1}, [1]):
            with self.subTest(id=str(request_id)[:20]):
                answer = await self.raw(request_id)
                self.assertIsNone(answer["id"])
                self.assertEqual(answer["error"]["code"], -32600)
                self.assertEqual(answer["error"]["message"],
                                 "id: expected a string (at most 256 bytes), an integer or null")

    async def test_idempotency_keys(self):
        spec = self.full_spec(omit={"monitor"})
        for key in ("k" * 256, "é" * 128):
            with self.subTest(key=key[:10]):
                first = await self.client.call("task.submit", {"spec": spec, "idempotency_key": key})
                again = await self.client.call("task.submit", {"spec": spec, "idempotency_key": key})
                self.assertEqual(first["task_id"], again["task_id"])
                await self.client.request("task.cancel", {"task_id": first["task_id"]})
        for key in ("k" * 257, "é" * 129, ""):
            with self.subTest(key=key[:10]):
                response = await self.client.request(
                    "task.submit", {"spec": spec, "idempotency_key": key})
                self.assertEqual(response["error"]["data"]["path"], "/idempotency_key")
                self.assertIn("256 bytes", response["error"]["data"]["expected"])


class EventTableTest(StackTest):
    # The daemon's stop at the end need not wait long; the repository scenarios' repository.
    stack_options = {"drain_seconds": 2, "repositories": ["*"]}

    async def run_scenario(self, scenario):
        self.load_script(scenario.script)
        task_id = await self.client.submit(scenario.spec)
        await self.client.call("task.subscribe", {"task_id": task_id, "after_seq": 0})
        events = []
        if scenario.then:  # once a worker waits for its model
            queue = self.client.queue(task_id)
            while not (events and events[-1]["type"] == "llm.request"
                       and events[-1].get("agent_id", "").startswith("worker")):
                events.append(await asyncio.wait_for(queue.get(), 60))
                self.assertNotEqual(events[-1]["type"], "task.finished", events)
            if scenario.then == "feedback":
                answer = await self.client.call("task.feedback", {
                    "task_id": task_id, "message": "Count hyphenated words as one."})
                self.assertEqual(answer["delivered_to"], 1)  # the worker; the reducer waits
            else:
                await self.client.call("task.cancel", {"task_id": task_id})
        events += await self.client.drain_events(task_id, timeout=120)
        check_sequence(self, events, task_id)
        if scenario.then == "feedback":  # "*" reaches agents that start later too
            self.assertEqual({e["agent_id"] for e in events if e["type"] == "feedback.delivered"},
                             {"worker-1", "reducer-1"})
        return events

    async def test_every_documented_event_is_sent_and_no_other(self):
        table = protocol_tables.events(read_doc())
        sent = []
        repository = os.path.join(self.stack.repos, "calc")
        make_example_repository(repository)
        for scenario in event_scenarios.scenarios() + event_scenarios.repository_scenarios(
                repository):
            events = await self.run_scenario(scenario)
            types = {event["type"] for event in events}
            self.assertEqual(scenario.expects - types, set(),
                             f"{scenario} did not make the daemon send these: "
                             f"{[(e['type'], e['data']) for e in events]}")
            sent += events
        sent_types = {event["type"] for event in sent}
        self.assertEqual(sent_types - set(table), set(), "sent, but not in protocol.md's table")
        self.assertEqual(set(table) - sent_types - set(NEEDS_GPUS) - set(UNPROVOKED), set(),
                         "documented, but no scenario made the daemon send them")
        matched = set()
        for event in sent:
            shapes = table.get(event["type"], [])
            fitting = [i for i, shape in enumerate(shapes)
                       if protocol_tables.shape_matches(shape, event["data"])]
            with self.subTest(event=event["type"]):
                self.assertTrue(fitting, f"{event['type']} data {json.dumps(event['data'])[:300]} "
                                f"fits none of {[protocol_tables.show(s) for s in shapes]}")
            matched |= {(event["type"], i) for i in fitting}
        for event_type in sent_types & set(table):
            for i, shape in enumerate(table[event_type]):
                with self.subTest(event=event_type, shape=protocol_tables.show(shape)):
                    self.assertTrue((event_type, i) in matched, "no event sent had these fields")


if __name__ == "__main__":
    unittest.main()
