// cgroup v1: one directory per controller hierarchy (memory, pids, cpu, cpuacct, devices, and
// freezer when mounted), each found through /proc/self/mountinfo since hosts mount them
// differently (cpu and cpuacct apart or co-mounted as "cpu,cpuacct").
#include <algorithm>
#include <array>
#include <thread>

#include "sandbox/cgroup_impl.h"

namespace sandbox::cgroup::detail::v1 {
namespace {

constexpr std::array<std::string_view, 5> kRequired = {"memory", "pids", "cpu", "cpuacct",
                                                       "devices"};
// Optional: kill_all freezes first when it can, so nothing forks while it kills.
constexpr std::string_view kFreezer = "freezer";
constexpr std::string_view kDefaultParent = "agentd-sandboxes";
constexpr uint64_t kCfsPeriodUs = 100'000;
constexpr uint64_t kMinCfsQuotaUs = 1'000;  // the kernel refuses less

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

struct Hierarchy {
  std::string mount_point;
  std::string own_dir;  // this process's cgroup in it
};

Expected<Hierarchy> find_hierarchy(std::string_view controller,
                                   const std::vector<CgroupMount>& mounts,
                                   const std::vector<SelfCgroup>& selves) {
  auto self = std::find_if(selves.begin(), selves.end(), [&](const SelfCgroup& s) {
    return contains(s.controllers, controller);
  });
  if (self == selves.end()) {
    return Error{"/proc/self/cgroup lists no v1 hierarchy with the " + std::string(controller) +
                 " controller"};
  }
  Error last{"/proc/self/mountinfo has no cgroup v1 mount of the " + std::string(controller) +
             " controller"};
  for (const auto& mount : mounts) {
    if (mount.v2 || !contains(mount.controllers, controller)) continue;
    auto dir = dir_under_mount(mount, self->path);
    if (dir) return Hierarchy{mount.mount_point, *dir};
    last = dir.error();
  }
  return last;
}

const std::string& dir_of(const Cgroup::State& state, std::string_view controller) {
  return state.v1_dir.at(std::string(controller));
}

Status set_memory(const Cgroup::State& state, const Limits& limits) {
  const std::string& dir = dir_of(state, "memory");
  // A new memory cgroup inherits oom_kill_disable from its parent; a sandbox at its limit must
  // be killed, not left hanging.
  if (auto ok = write_file(dir + "/memory.oom_control", "0"); !ok) return ok;
  if (limits.memory_bytes == 0) return Ok{};
  std::string bytes = std::to_string(limits.memory_bytes);
  if (auto ok = write_file(dir + "/memory.limit_in_bytes", bytes); !ok) return ok;
  // memory+swap equal to memory: the sandbox gets no swap.
  if (file_exists(dir + "/memory.memsw.limit_in_bytes")) {
    return write_file(dir + "/memory.memsw.limit_in_bytes", bytes);
  }
  // Swap accounting is off (no memsw files): the cap cannot cover swap, so keep the sandbox's
  // pages out of swap instead.
  return write_file(dir + "/memory.swappiness", "0");
}

Status set_pids(const Cgroup::State& state, const Limits& limits) {
  if (limits.pids == 0) return Ok{};
  return write_file(dir_of(state, "pids") + "/pids.max", std::to_string(limits.pids));
}

Status set_cpu(const Cgroup::State& state, const Limits& limits) {
  const std::string& dir = dir_of(state, "cpu");
  // v2's weight scale (1..10000, default 100) onto v1 shares (2..262144, default 1024).
  uint64_t shares = std::clamp<uint64_t>(uint64_t{limits.cpu_weight} * 1024 / 100, 2, 262144);
  if (auto ok = write_file(dir + "/cpu.shares", std::to_string(shares)); !ok) return ok;
  if (limits.cpu_millicores == 0) return Ok{};
  uint64_t quota = std::max(uint64_t{limits.cpu_millicores} * kCfsPeriodUs / 1000, kMinCfsQuotaUs);
  if (auto ok = write_file(dir + "/cpu.cfs_period_us", std::to_string(kCfsPeriodUs)); !ok) {
    return ok;
  }
  return write_file(dir + "/cpu.cfs_quota_us", std::to_string(quota));
}

Status set_devices(const Cgroup::State& state, const Limits& limits) {
  const std::string& dir = dir_of(state, "devices");
  if (auto ok = write_file(dir + "/devices.deny", "a"); !ok) return ok;
  for (const auto& rule : device_rules(limits.devices)) {
    std::string entry = std::string(1, rule.type) + " " + std::to_string(rule.major) + ":" +
                        std::to_string(rule.minor) + " " + std::string(rule.access);
    if (auto ok = write_file(dir + "/devices.allow", entry); !ok) return ok;
  }
  return Ok{};
}

// Freezes the cgroup and waits (briefly) until the kernel reports it FROZEN.
bool freeze(const std::string& dir) {
  if (!write_file(dir + "/freezer.state", "FROZEN")) return false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  while (std::chrono::steady_clock::now() < deadline) {
    auto state = read_file(dir + "/freezer.state");
    if (state && state->starts_with("FROZEN")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

}  // namespace

Expected<Manager::Paths> open(const std::string& relative_parent) {
  auto mountinfo = read_file("/proc/self/mountinfo");
  if (!mountinfo) return mountinfo.error();
  auto self = read_file("/proc/self/cgroup");
  if (!self) return self.error();
  auto mounts = read_cgroup_mounts(*mountinfo);
  auto selves = read_self_cgroups(*self);

  Manager::Paths paths;
  std::vector<std::string_view> controllers(kRequired.begin(), kRequired.end());
  controllers.push_back(kFreezer);
  for (std::string_view controller : controllers) {
    auto hierarchy = find_hierarchy(controller, mounts, selves);
    if (!hierarchy && controller == kFreezer) continue;
    if (!hierarchy) return hierarchy.error();
    std::string parent = relative_parent.empty()
                             ? hierarchy->own_dir + "/" + std::string(kDefaultParent)
                             : hierarchy->mount_point + "/" + relative_parent;
    if (auto ok = make_dirs(parent); !ok) return ok.error();
    paths.v1_parent.emplace(controller, parent);
  }
  return paths;
}

Status create(Cgroup::State& state, const Manager::Paths& paths, const Limits& limits) {
  for (const auto& [controller, parent] : paths.v1_parent) {
    std::string dir = parent + "/" + state.name;
    // Co-mounted controllers share one directory: create it once.
    if (std::find(state.dirs.begin(), state.dirs.end(), dir) == state.dirs.end()) {
      if (auto ok = make_new_dir(dir); !ok) return ok;
      state.dirs.push_back(dir);
    }
    state.v1_dir.emplace(controller, dir);
  }
  for (auto set : {set_memory, set_pids, set_cpu, set_devices}) {
    if (auto ok = set(state, limits); !ok) return ok;
  }
  return Ok{};
}

void adopt(Cgroup::State& state, const Manager::Paths& paths) {
  for (const auto& [controller, parent] : paths.v1_parent) {
    std::string dir = parent + "/" + state.name;
    // A removal cut short may have left it in some hierarchies only.
    if (!file_exists(dir)) continue;
    if (std::find(state.dirs.begin(), state.dirs.end(), dir) == state.dirs.end()) {
      state.dirs.push_back(dir);
    }
    state.v1_dir.emplace(controller, dir);
  }
}

Usage usage(const Cgroup::State& state) {
  Usage usage;
  if (auto ns = read_number(dir_of(state, "cpuacct") + "/cpuacct.usage")) {
    usage.cpu_ms = static_cast<int64_t>(*ns / 1'000'000);
  }
  const std::string& memory = dir_of(state, "memory");
  usage.peak_memory_bytes = read_number(memory + "/memory.max_usage_in_bytes").value_or(0);
  usage.oom_kills = read_keyed(memory + "/memory.oom_control", "oom_kill").value_or(0);
  return usage;
}

void kill_all(const Cgroup::State& state) {
  // Every directory, not one: a cgroup whose creation or add() failed half way may hold a
  // process in some hierarchies only.
  auto freezer = state.v1_dir.find(std::string(kFreezer));
  bool has_freezer = freezer != state.v1_dir.end();
  bool frozen = has_freezer && freeze(freezer->second);
  // Frozen processes cannot fork or exit, so the lists are complete and every pid in them
  // stays theirs; the SIGKILLs take effect on thaw.
  if (frozen) {
    for (const auto& dir : state.dirs) kill_listed(dir);
  }
  // Thawing also undoes a freeze that did not settle in time.
  bool thawed = has_freezer && write_file(freezer->second + "/freezer.state", "THAWED").ok();
  if (frozen && thawed) return;
  // No freezer (or it did not settle): kill in rounds until no process is left to fork.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (const auto& dir : state.dirs) kill_until_empty(dir, deadline);
}

}  // namespace sandbox::cgroup::detail::v1
