#!/usr/bin/python3
"""Runs one case of the security suite (cases.json) through agentbox and checks its outcome.

usage: run_case.py --agentbox PATH --bin DIR --work DIR CASE

A case passes only if every check holds: agentbox's JSON result (status, exit code, signal,
truncation, sizes), the hostile program's own verdict (RESULT PASS and no ESCAPED line), and
the host-side facts the program cannot fake (see sandbox_session.py and the fixtures).
Exit status: 0 pass, 1 fail, 77 skipped because the machine lacks something (named).
"""
import argparse
import json
import os
import shutil
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fixtures  # noqa: E402
import sandbox_session  # noqa: E402

SKIP = 77


def load_case(name):
    with open(os.path.join(HERE, "cases.json")) as manifest:
        cases = json.load(manifest)["cases"]
    matches = [case for case in cases if case["name"] == name]
    if not matches:
        raise SystemExit(f"no case named {name!r} in cases.json")
    return matches[0]


def parse_size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)


def check_verdict(expect, result):
    """The program's own report: RESULT PASS and no ESCAPED line, or at least no ESCAPED."""
    verdict = expect.get("verdict", "pass")
    output = result["stdout"] + "\n" + result["stderr"]
    failures = [f"program reports: {line}" for line in output.splitlines()
                if line.startswith("ESCAPED")]
    if verdict == "pass" and not any(line.startswith("RESULT PASS")
                                     for line in result["stdout"].splitlines()):
        failures.append("program did not report RESULT PASS")
    return failures


def check_result(expect, result):
    """Compares agentbox's JSON result with the case's expectations."""
    if result is None:
        return ["no result to check"]
    failures = []
    if result["status"] not in expect["status"]:
        failures.append(f"status {result['status']!r}, expected one of {expect['status']}"
                        + (f" (error: {result['error']})" if result.get("error") else ""))
    for key in ("exit_code", "signal", "stdout_truncated", "stderr_truncated"):
        if key in expect and result.get(key) != expect[key]:
            failures.append(f"{key} {result.get(key)!r}, expected {expect[key]!r}")
    for stream in ("stdout", "stderr"):
        cap = expect.get(f"{stream}_max_bytes")
        if cap is not None and len(result[stream].encode()) > cap:
            failures.append(f"{stream} holds {len(result[stream].encode())} bytes, cap {cap}")
    peak_cap = expect.get("peak_memory_max")
    if peak_cap and result["peak_memory_bytes"] > parse_size(peak_cap):
        failures.append(f"peak memory {result['peak_memory_bytes']} above {peak_cap}")
    if result["status"] != "setup_error":
        failures += check_verdict(expect, result)
    return failures


def run_case(case, session):
    fixture = fixtures.make(case.get("fixture"), session, case)
    try:
        fixture.setup()
        main_run = fixture.execute()
        failures = [f"[{run.label}] {failure}" for run in session.runs for failure in run.failures]
        failures += check_result(case["expect"], main_run.result)
        failures += fixture.check()
    finally:
        fixture.cleanup()
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agentbox", required=True)
    parser.add_argument("--bin", required=True, help="directory of the built hostile programs")
    parser.add_argument("--work", required=True, help="scratch directory for host fixtures")
    parser.add_argument("case")
    options = parser.parse_args()
    case = load_case(options.case)
    if os.geteuid() != 0:
        print("SKIP: the security suite needs root (agentbox, host fixtures and process checks)")
        return SKIP
    if not os.access(options.agentbox, os.X_OK):
        print(f"FAIL: agentbox not found at {options.agentbox}")
        return 1
    work_dir = os.path.join(options.work, case["name"])
    shutil.rmtree(work_dir, ignore_errors=True)
    os.makedirs(work_dir, mode=0o755)
    os.chmod(work_dir, 0o755)  # sandboxes run as other host uids and must reach binds below
    session = sandbox_session.Session(options.agentbox, options.bin, os.path.join(HERE, "py"),
                                      work_dir)
    print(f"CASE {case['name']}: {case['description']}")
    print(f"EXPECT {json.dumps(case['expect'])}")
    try:
        failures = run_case(case, session)
    except fixtures.Unavailable as missing:
        print(f"SKIP: {missing}")
        return SKIP
    except Exception:  # noqa: BLE001 - report the runs so far, then the runner's own error
        failures = ["the runner failed:\n" + traceback.format_exc()]
    for run in session.runs:
        print(run.describe())
    for failure in failures:
        print(f"FAIL: {failure}")
    if failures:
        print(f"FAILED (host fixtures kept in {work_dir})")
        return 1
    shutil.rmtree(work_dir, ignore_errors=True)
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
