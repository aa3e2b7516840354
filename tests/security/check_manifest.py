#!/usr/bin/python3
"""Checks cases.json against the suite: every case is complete, names a hostile program that
exists and a fixture the runner knows, and is listed in README.md; there are at least 40.

usage: check_manifest.py --bin DIR
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fixtures  # noqa: E402

STATUSES = {"ok", "exit_nonzero", "signaled", "timeout", "cpu_limit", "memory_limit",
            "output_limit", "setup_error"}
MINIMUM_CASES = 40


def problems_of(case, bin_dir, readme):
    name = case.get("name", "?")
    found = [f"{name}: missing {key}" for key in ("name", "program", "description", "expect")
             if key not in case]
    program = case.get("program", "")
    path = (os.path.join(HERE, "py", program[3:]) if program.startswith("py:")
            else os.path.join(bin_dir, program))
    if not os.path.isfile(path):
        found.append(f"{name}: program {program!r} not found at {path}")
    statuses = case.get("expect", {}).get("status", [])
    if not statuses or not set(statuses) <= STATUSES:
        found.append(f"{name}: expect.status {statuses!r} must list statuses from {STATUSES}")
    if case.get("expect", {}).get("verdict", "pass") not in ("pass", "no_escape"):
        found.append(f"{name}: expect.verdict must be 'pass' or 'no_escape'")
    try:
        fixtures.make(case.get("fixture"), None, case)
    except SystemExit as error:
        found.append(str(error))
    if f"`{name}`" not in readme:
        found.append(f"{name}: not listed in README.md")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True)
    options = parser.parse_args()
    with open(os.path.join(HERE, "cases.json")) as manifest:
        cases = json.load(manifest)["cases"]
    with open(os.path.join(HERE, "README.md")) as readme_file:
        readme = readme_file.read()
    problems = [p for case in cases for p in problems_of(case, options.bin, readme)]
    names = [case.get("name") for case in cases]
    problems += [f"{n}: listed twice" for n in set(names) if names.count(n) > 1]
    if len(cases) < MINIMUM_CASES:
        problems.append(f"only {len(cases)} cases, the suite promises at least {MINIMUM_CASES}")
    for problem in problems:
        print(f"FAIL: {problem}")
    print(f"{len(cases)} cases, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
