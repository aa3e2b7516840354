"""systemd/: the unit passes `systemd-analyze verify` with no warning at all, its exposure
score stays low, every relaxed sandboxing option carries a comment, and the sysusers and
tmpfiles entries create what the unit and the daemon expect."""
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import AGENTD, SOURCE_DIR

SYSTEMD_DIR = os.path.join(SOURCE_DIR, "systemd")
UNIT = os.path.join(SYSTEMD_DIR, "agentd.service")
INSTALLED_AGENTD = "/usr/local/bin/agentd"


def run(*args):
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


class UnitTest(unittest.TestCase):
    def setUp(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze is not installed (Debian package systemd)")
        self.dir = tempfile.mkdtemp(prefix="agentd-unit-")
        # verify checks that ExecStart's binary exists: point it at the build's agentd (or a
        # stand-in when agentd is not built), nothing else changes.
        agentd = AGENTD if AGENTD and os.path.exists(AGENTD) else shutil.which("true")
        with open(UNIT) as f:
            text = f.read()
        self.assertIn(INSTALLED_AGENTD, text)
        self.unit = os.path.join(self.dir, "agentd.service")
        with open(self.unit, "w") as f:
            f.write(text.replace(INSTALLED_AGENTD, agentd))

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_verify_reports_nothing(self):
        done = run("systemd-analyze", "verify", "--man=no", self.unit)
        if "Failed to" in done.stderr and "bus" in done.stderr.lower():
            self.skipTest("systemd-analyze verify cannot run here: " + done.stderr.strip())
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stderr.strip(), "", "verify warned")

    def test_verify_catches_a_misspelt_option(self):
        # Proves the test above would notice a broken unit.
        with open(self.unit) as f:
            text = f.read()
        with open(self.unit, "w") as f:
            f.write(text.replace("ProtectClock=yes", "ProtectClok=yes"))
        done = run("systemd-analyze", "verify", "--man=no", self.unit)
        self.assertIn("Unknown key", done.stderr)

    def test_exposure_is_low(self):
        done = run("systemd-analyze", "security", "--offline=yes", "--no-pager", self.unit)
        found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", done.stdout + done.stderr)
        self.assertIsNotNone(found, done.stdout + done.stderr)
        self.assertLessEqual(float(found.group(1)), 4.5, done.stdout)

    def test_the_essentials(self):
        with open(UNIT) as f:
            text = f.read()
        settings = dict(re.findall(r"^(\w+)=(.*)$", text, re.M))
        self.assertEqual(settings["Type"], "notify")
        self.assertEqual(settings["Delegate"], "yes")
        self.assertIn("--check-config", settings["ExecStartPre"])
        self.assertIn("kill -HUP", settings["ExecReload"])
        self.assertRegex(settings["WatchdogSec"], r"^\d+s$")
        self.assertEqual(settings["User"], "agentd")

    def test_every_relaxed_option_says_why(self):
        with open(UNIT) as f:
            lines = f.read().splitlines()
        relaxed = re.compile(r"^(Protect\w+|Private\w+|Restrict\w+|MemoryDenyWriteExecute|"
                             r"ProcSubset)=(no|all)$")
        for i, line in enumerate(lines):
            if relaxed.match(line):
                with self.subTest(option=line):
                    comments = [lines[j] for j in range(max(0, i - 6), i) if lines[j].startswith("#")]
                    self.assertTrue(comments, f"{line} has no comment above it")


class UsersAndDirectoriesTest(unittest.TestCase):
    def test_sysusers_then_tmpfiles_in_a_scratch_root(self):
        for tool in ("systemd-sysusers", "systemd-tmpfiles"):
            if not shutil.which(tool):
                self.skipTest(f"{tool} is not installed (Debian package systemd)")
        if os.geteuid() != 0:
            self.skipTest("systemd-tmpfiles --root needs root to chown")
        root = tempfile.mkdtemp(prefix="agentd-root-")
        try:
            os.makedirs(os.path.join(root, "etc"))
            done = run("systemd-sysusers", f"--root={root}",
                       os.path.join(SYSTEMD_DIR, "agentd.sysusers"))
            self.assertEqual(done.returncode, 0, done.stderr)
            with open(os.path.join(root, "etc/passwd")) as f:
                entry = next(line for line in f if line.startswith("agentd:"))
            fields = entry.strip().split(":")
            uid, gid = int(fields[2]), int(fields[3])
            self.assertLess(uid, 1000, "a system user")
            self.assertEqual(fields[6], "/usr/sbin/nologin")
            done = run("systemd-tmpfiles", "--create", f"--root={root}",
                       os.path.join(SYSTEMD_DIR, "agentd.tmpfiles"))
            self.assertEqual(done.returncode, 0, done.stderr)
            expected = {"var/lib/agentd": (0o711, uid), "var/lib/agentd/workspaces": (0o711, uid),
                        "run/agentd": (0o750, uid), "etc/agentd": (0o750, 0)}
            for path, (mode, owner) in expected.items():
                st = os.stat(os.path.join(root, path))
                self.assertEqual((st.st_mode & 0o7777, st.st_uid), (mode, owner), path)
            self.assertEqual(os.stat(os.path.join(root, "etc/agentd")).st_gid, gid)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def test_the_sandbox_range_is_nobodys(self):
        # The default sandbox ids must not belong to a user on this machine either.
        for entry in pwd.getpwall():
            self.assertFalse(2_000_000_000 <= entry.pw_uid < 2_000_001_000, entry)


if __name__ == "__main__":
    unittest.main()
