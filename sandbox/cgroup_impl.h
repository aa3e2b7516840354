// Private to the cgroup implementation (cgroup.cc, cgroup_v1.cc, cgroup_v2.cc) and its tests:
// the state behind Manager and Cgroup, the file helpers every version shares, and the
// version-specific entry points.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/base.h"
#include "sandbox/cgroup.h"
#include "sandbox/spec.h"

namespace sandbox::cgroup {

struct Manager::Paths {
  // v1: controller name -> the directory sandboxes are created under, in that controller's
  // hierarchy. Co-mounted controllers (cpu,cpuacct) map to the same directory.
  std::map<std::string, std::string> v1_parent;
  // v2: the one directory sandboxes are created under.
  std::string v2_parent;
};

struct Cgroup::State {
  Version version = Version::v1;
  std::string name;
  // Every directory this cgroup owns, without duplicates, in creation order: one per v1
  // hierarchy, or the single v2 directory.
  std::vector<std::string> dirs;
  // v1: controller name -> its directory (an entry of `dirs`).
  std::map<std::string, std::string> v1_dir;
  UniqueFd v2_dir_fd;  // v2: for CLONE_INTO_CGROUP and the device program
  bool removed = false;
};

namespace detail {

// --- files (cgroup.cc) ---
// "No such file or directory (errno 2)": for error messages.
using base::errno_text;
Status write_file(const std::string& path, std::string_view value);
// The same, for callers that act on the errno: 0 on success.
int write_file_errno(const std::string& path, std::string_view value);
Expected<std::string> read_file(const std::string& path);
// The number after `key` on a "key value" line (memory.events, cpu.stat, memory.oom_control).
std::optional<uint64_t> read_keyed(const std::string& path, std::string_view key);
std::optional<uint64_t> read_number(const std::string& path);
bool file_exists(const std::string& path);
// Creates `path` and any missing parents; an existing directory is fine.
Status make_dirs(const std::string& path);
// Creates `path`, which must not exist yet (a name clash between sandboxes is an error).
Status make_new_dir(const std::string& path);
// "../x", "", "a//b" and names with odd characters are refused: names reach the filesystem.
Status check_name(std::string_view name);
Expected<std::string> check_relative_parent(std::string_view parent);

// The owner's pid in a sandbox_name(); 0 for any other name.
pid_t sandbox_owner(std::string_view name);

// --- processes ---
std::vector<pid_t> read_pids(const std::string& dir);
// SIGKILLs every process listed in dir/cgroup.procs, through pidfds so that a pid that was
// reused by a process outside the cgroup is never signalled. Returns how many were listed.
size_t kill_listed(const std::string& dir);
// Kills and waits until dir/cgroup.procs is empty or `deadline` passes.
bool kill_until_empty(const std::string& dir, std::chrono::steady_clock::time_point deadline);

// --- where the hierarchies are (/proc/self/mountinfo, /proc/self/cgroup) ---
struct CgroupMount {
  std::string root;         // the mount's root inside its hierarchy
  std::string mount_point;  // where it is mounted
  bool v2 = false;
  std::vector<std::string> controllers;  // v1: from the superblock options
};
std::vector<CgroupMount> read_cgroup_mounts(const std::string& mountinfo_text);
struct SelfCgroup {
  std::vector<std::string> controllers;  // empty for the v2 line "0::/path"
  std::string path;
};
std::vector<SelfCgroup> read_self_cgroups(const std::string& proc_cgroup_text);
// The directory of cgroup `path` (as /proc/self/cgroup names it) under `mount`.
Expected<std::string> dir_under_mount(const CgroupMount& mount, const std::string& path);

// --- version-specific ---
namespace v1 {
Expected<Manager::Paths> open(const std::string& relative_parent);
Status create(Cgroup::State& state, const Manager::Paths& paths, const Limits& limits);
// Fills `state` (its name set) with the directories of an existing cgroup, as create() would.
void adopt(Cgroup::State& state, const Manager::Paths& paths);
Usage usage(const Cgroup::State& state);
void kill_all(const Cgroup::State& state);
}  // namespace v1

namespace v2 {
// True when /sys/fs/cgroup is cgroup2 and offers memory, pids and cpu.
bool detected();
Expected<Manager::Paths> open(const std::string& relative_parent);
Status create(Cgroup::State& state, const Manager::Paths& paths, const Limits& limits);
void adopt(Cgroup::State& state, const Manager::Paths& paths);
Usage usage(const Cgroup::State& state);
void kill_all(const Cgroup::State& state);
// Loads a BPF_PROG_TYPE_CGROUP_DEVICE program allowing the minimal /dev plus `extra`, and
// attaches it to the cgroup2 directory `dir_fd` (`dir` names it in errors).
Status attach_device_program(int dir_fd, const std::string& dir,
                             const std::vector<DeviceNode>& extra);
}  // namespace v2

// The devices every sandbox may use: null, zero, full, random, urandom, tty.
struct DeviceRule {
  char type;
  uint32_t major;
  uint32_t minor;
  std::string_view access;  // subset of "rwm"
};
std::vector<DeviceRule> device_rules(const std::vector<DeviceNode>& extra);
// cpu_weight within 1..10000; devices of type 'c' or 'b' with numbers the kernel can hold.
Status check_limits(const Limits& limits);

}  // namespace detail
}  // namespace sandbox::cgroup
