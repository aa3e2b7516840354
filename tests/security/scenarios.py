"""Cases that need more than one sandbox: a victim and an attacker running at the same time,
and planted symlinks that a later run's mount setup could follow onto the host."""
import os
import time

from fixtures import Fixture
from host_state import compare_snapshots, snapshot_tree


class VictimScenario(Fixture):
    """Starts the victim sandbox (c/victim.c) on a shared host directory, waits until it is
    ready, runs the attacker, then releases the victim, which must finish unharmed."""

    def setup(self):
        self.victim_dir = self.path("victim")
        os.makedirs(self.victim_dir)
        os.chmod(self.victim_dir, 0o1777)  # sticky and world-writable, like /tmp

    def execute(self):
        victim = self.session.start(
            "victim", "victim", args=["40"], timeout=60,
            flags=["--bind", f"{self.victim_dir}:/workspace", "--wall-time", "50"],
            env={"SEC_SECRET": self.secret})
        self.victim = victim
        self.victim_ready = self.wait_for(
            lambda: os.path.exists(os.path.join(self.victim_dir, "ready"))
            and victim.observation.pids, victim)
        if not self.victim_ready:
            victim.process.kill()
            return victim.wait()
        attacker = self.attack()
        self.victim_alive_after_attack = victim.alive()
        with open(os.path.join(self.victim_dir, "release"), "w"):
            pass
        victim.wait()
        return attacker

    @staticmethod
    def wait_for(condition, run, seconds=20):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and run.alive():
            if condition():
                return True
            time.sleep(0.05)
        return condition()

    def check(self):
        if not self.victim_ready:
            return ["the victim sandbox never became ready (no /workspace/ready, or the host "
                    "never saw its process), so no attack was made"]
        failures = []
        if not self.victim_alive_after_attack:
            failures.append("the victim sandbox died during the attack")
        result = self.victim.result or {}
        if result.get("status") != "ok" or "RESULT PASS" not in result.get("stdout", ""):
            failures.append(f"the victim did not finish unharmed: status {result.get('status')}, "
                            f"stdout {result.get('stdout', '')[:500]!r}")
        return failures


class VictimFiles(VictimScenario):
    """The attacker gets the victim's workspace bound read-write at /victim."""

    def attack(self):
        return self.session.run(
            "attacker", self.case["program"], flags=["--bind", f"{self.victim_dir}:/victim"],
            env={"SEC_VICTIM_DIR": "/victim", "SEC_TOKEN": self.session.token})

    def check(self):
        failures = super().check()
        if not self.victim_ready:
            return failures
        for name in ("secret", "private/secret"):
            try:
                with open(os.path.join(self.victim_dir, name)) as secret:
                    intact = secret.read() == self.secret
            except OSError as error:
                intact = False
                name += f" ({error.strerror})"
            if not intact:
                failures.append(f"the victim's {name} changed or vanished on the host")
        if self.secret in self.output_of("attacker"):
            failures.append("the victim's secret appears in the attacker's output")
        failures += self.check_distinct_uids()
        return failures

    def check_distinct_uids(self):
        """Files each sandbox created show their host uids: distinct, and not privileged."""
        owners = {}
        for role, name in (("victim", "ready"), ("attacker", f"attacker-{self.session.token}")):
            try:
                owners[role] = os.lstat(os.path.join(self.victim_dir, name)).st_uid
            except OSError:
                return [f"the {role}'s file {name} is missing; cannot compare host uids"]
        failures = []
        if owners["victim"] == owners["attacker"]:
            failures.append(f"two concurrent sandboxes share host uid {owners['victim']}")
        failures += [f"the {role}'s files belong to host uid {uid}, not a sandbox uid"
                     for role, uid in owners.items() if uid < 100000]
        return failures

    def output_of(self, label):
        run = next(r for r in self.session.runs if r.label == label)
        return (run.result or {}).get("stdout", "") + (run.result or {}).get("stderr", "")


class VictimSignal(VictimScenario):
    """The attacker gets the victim's host pid and tries to signal it."""

    def attack(self):
        return self.session.run("attacker", self.case["program"],
                                env={"SEC_VICTIM_PID": self.victim.observation.pids[0]})


class PlantedSymlink(Fixture):
    """Run 1 plants symlinks in a host workspace pointing at a host directory; run 2 binds the
    same workspace and asks for mounts whose targets are those symlinks. The host directory,
    its canary, the host's /etc and the host's mount table must all stay unchanged."""

    def setup(self):
        self.workspace = self.path("workspace")
        self.host_dir = self.path("host-dir")
        os.makedirs(self.workspace)
        os.makedirs(self.host_dir)
        os.chmod(self.workspace, 0o777)
        os.chmod(self.host_dir, 0o777)  # only the sandbox's containment protects it
        with open(os.path.join(self.host_dir, "canary.txt"), "w") as canary:
            canary.write(self.secret)
        os.chmod(os.path.join(self.host_dir, "canary.txt"), 0o666)
        self.before = snapshot_tree(self.host_dir)
        self.mounts_before = self.host_mounts()

    @staticmethod
    def host_mounts():
        with open("/proc/self/mountinfo") as mountinfo:
            return {line.split()[4] for line in mountinfo}

    def execute(self):
        bind = ["--bind", f"{self.workspace}:/workspace"]
        self.session.run("plant", self.case["program"], args=["plant"], flags=bind,
                         env={"SEC_HOST_DIR": self.host_dir})
        self.planted = os.path.islink(os.path.join(self.workspace, "escape"))
        probe = os.path.join(self.session.bin_dir, "sleeper")
        return self.session.run("follow", self.case["program"], args=["follow"], flags=bind + [
            "--tmpfs", "/workspace/escape/sub", "--tmpfs", "/workspace/rel/sub",
            "--ro-bind", f"{probe}:/workspace/victim_link"])

    def check(self):
        plant = self.session.runs[0].result or {}
        failures = [] if self.planted else ["run 1 did not plant its symlinks on the host"]
        if plant.get("status") != "ok":
            failures.append(f"the planting run ended with {plant.get('status')}")
        failures += compare_snapshots("host directory named by the symlinks", self.before,
                                      snapshot_tree(self.host_dir))
        if os.path.lexists("/etc/agentd-sec-pwned"):
            failures.append("/etc/agentd-sec-pwned was created on the host")
        new_mounts = [m for m in self.host_mounts() - self.mounts_before
                      if m.startswith((self.session.work_dir, "/etc"))]
        if new_mounts:
            failures.append(f"new mounts in the host's mount table: {new_mounts}")
        return failures


REGISTRY = {"victim_files": VictimFiles, "victim_signal": VictimSignal,
            "planted_symlink": PlantedSymlink}
