// One cgroup per sandbox: memory (no swap), pids, CPU and device limits, usage readings, and
// removal when the run ends. cgroup v2 where the host has it, v1 otherwise, detected at run
// time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/base.h"
#include "sandbox/spec.h"

namespace sandbox::cgroup {

enum class Version { v1, v2 };

struct Limits {
  uint64_t memory_bytes = 0;    // 0: no limit
  uint32_t pids = 0;            // 0: no limit
  uint32_t cpu_millicores = 0;  // 0: no cap
  uint32_t cpu_weight = 100;    // 1..10000
  // Device nodes the sandbox may open besides the minimal /dev (null, zero, full, random,
  // urandom, tty); every other device is denied.
  std::vector<DeviceNode> devices;
};

struct Usage {
  int64_t cpu_ms = 0;
  uint64_t peak_memory_bytes = 0;
  uint64_t oom_kills = 0;  // processes the OOM killer took in this cgroup
};

// A live cgroup (one directory per v1 controller, or one v2 directory). The destructor kills
// whatever still runs in it and removes it, retrying while the kernel still holds it busy.
class Cgroup {
 public:
  Cgroup() = default;
  Cgroup(Cgroup&&) noexcept;
  Cgroup& operator=(Cgroup&&) noexcept;
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  ~Cgroup();

  // Parent side, before the child is released: moves `pid` into this cgroup.
  Status add(pid_t pid) const;
  // cgroup v2: an O_DIRECTORY fd for clone3's CLONE_INTO_CGROUP; -1 on v1.
  int clone_into_fd() const;
  Usage usage() const;
  // Kills every process in the cgroup: cgroup.kill on v2; on v1 freeze, SIGKILL each listed
  // pid, thaw. Without cgroup.kill or a v1 freezer it kills in rounds until the cgroup is
  // empty, which waits for the processes to exit (at most 2 s).
  void kill_all() const;
  // Kills what runs in it and removes the cgroup now, waiting (at most 2 s) for the killed
  // processes to leave; the destructor does it otherwise. Safe to call twice. The error names
  // each directory it could not remove; the destructor then tries once more.
  Status remove();
  const std::string& name() const;

  struct State;  // version-specific paths and fds

 private:
  explicit Cgroup(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  friend class Manager;
};

// The name Runner gives a sandbox's cgroup, "sbx-<owner pid>-<serial>": the owner is in the
// name so that a process sharing the parent can tell a dead owner's leftovers from live ones.
std::string sandbox_name(pid_t owner, uint64_t serial);

// What Manager::sweep_orphans() did.
struct Sweep {
  std::map<pid_t, size_t> removed;  // dead owner's pid -> how many of its cgroups were removed
  size_t killed = 0;                // processes that still ran in them (and were killed)
  std::vector<std::string> errors;  // one per cgroup that could not be removed, saying why
};

// Finds the cgroup hierarchy once per process and creates sandbox cgroups under a parent it
// owns: `parent` if given (a path relative to each hierarchy's root), otherwise a child of the
// process's own cgroup named "agentd-sandboxes". On v2, enabling controllers for that parent
// may first move this process (and the others in its cgroup) into a leaf child "daemon": v2
// lets a cgroup hand controllers to children only while it holds no processes.
class Manager {
 public:
  static Expected<std::shared_ptr<Manager>> open(const std::string& parent = {});
  Version version() const { return version_; }
  // Creates the cgroup for one sandbox; `name` must be unique among live sandboxes.
  Expected<Cgroup> create(std::string_view name, const Limits& limits) const;
  // The directories sandboxes' cgroups are created in: one per v1 hierarchy, or the v2 one.
  std::vector<std::string> parent_dirs() const;
  // Removes the sandboxes' cgroups (named by sandbox_name()) whose owner no longer runs, as a
  // daemon or agentbox killed with SIGKILL leaves them, killing what still runs inside first.
  // Daemons, agentbox runs and tests may share the parent at once, so a cgroup whose owner
  // runs is never touched, nor one holding processes of another pid namespace (whose owner's
  // pid means nothing here). A dead owner whose pid a new process got meanwhile keeps its
  // cgroups until that process is gone too.
  Sweep sweep_orphans() const;

  struct Paths;

 private:
  Manager() = default;
  Version version_ = Version::v1;
  std::shared_ptr<const Paths> paths_;
};

}  // namespace sandbox::cgroup
