// cgroup v2: one directory per sandbox under a parent with memory, pids and cpu enabled, and a
// BPF device program in place of v1's devices controller.
//
// What systemd's Delegate=yes gives a service: its unit's cgroup (and everything below) is the
// service's to manage: systemd enables the delegated controllers down to it (they appear in
// its cgroup.controllers), chowns it to the service's User= when there is one, and never
// touches the subtree again. What it does not do is free the service from v2's
// no-internal-processes rule: a cgroup that hands controllers to its children through
// cgroup.subtree_control may hold no processes itself, so the daemon moves itself into a leaf
// ("daemon") before enabling controllers for the sandboxes' parent.
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <sstream>

#include "sandbox/cgroup_impl.h"

namespace sandbox::cgroup::detail::v2 {
namespace {

constexpr std::string_view kRoot = "/sys/fs/cgroup";
constexpr std::array<std::string_view, 3> kControllers = {"memory", "pids", "cpu"};
constexpr std::string_view kEnableControllers = "+memory +pids +cpu";
constexpr std::string_view kDefaultParent = "agentd-sandboxes";
constexpr std::string_view kDaemonLeaf = "daemon";
constexpr uint64_t kCpuPeriodUs = 100'000;
constexpr uint64_t kMinCpuQuotaUs = 1'000;

// Whether a space-separated controller list (cgroup.controllers, cgroup.subtree_control)
// holds all the controllers sandboxes need.
bool lists_all_controllers(const std::string& file) {
  auto text = read_file(file);
  if (!text) return false;
  std::istringstream words(*text);
  std::vector<std::string> listed{std::istream_iterator<std::string>(words), {}};
  return std::all_of(kControllers.begin(), kControllers.end(), [&](std::string_view c) {
    return std::find(listed.begin(), listed.end(), c) != listed.end();
  });
}

struct Home {
  std::string mount_point;
  std::string own_dir;  // this process's cgroup when the manager first looked
};

Expected<Home> find_home() {
  auto mountinfo = read_file("/proc/self/mountinfo");
  if (!mountinfo) return mountinfo.error();
  auto self = read_file("/proc/self/cgroup");
  if (!self) return self.error();
  auto selves = read_self_cgroups(*self);
  auto unified = std::find_if(selves.begin(), selves.end(),
                              [](const SelfCgroup& s) { return s.controllers.empty(); });
  if (unified == selves.end()) return Error{"/proc/self/cgroup has no cgroup2 line (\"0::/…\")"};
  Error last{"/proc/self/mountinfo has no cgroup2 mount"};
  for (const auto& mount : read_cgroup_mounts(*mountinfo)) {
    if (!mount.v2) continue;
    auto dir = dir_under_mount(mount, unified->path);
    if (dir) return Home{mount.mount_point, *dir};
    last = dir.error();
  }
  return last;
}

// Moves every process of `own` into own/daemon, so `own` may enable controllers for children.
Status move_into_leaf(const std::string& own) {
  std::string leaf = own + "/" + std::string(kDaemonLeaf);
  if (auto ok = make_dirs(leaf); !ok) return ok;
  for (pid_t pid : read_pids(own)) {
    auto moved = write_file(leaf + "/cgroup.procs", std::to_string(pid));
    // Another process may exit meanwhile; this one must move or nothing below can work.
    if (!moved && pid == ::getpid()) return moved;
  }
  return Ok{};
}

// A process that starts in the leaf an earlier process of its cgroup made (X/daemon, X offered
// the controllers) shares X's sandboxes' parent instead of nesting a level deeper: agentbox
// runs and test binaries started one after another, or side by side, from one shell.
std::string shared_home(const std::string& own_dir) {
  size_t slash = own_dir.rfind('/');
  if (slash == std::string::npos || own_dir.substr(slash + 1) != kDaemonLeaf) return own_dir;
  std::string above = own_dir.substr(0, slash);
  return lists_all_controllers(above + "/cgroup.controllers") ? above : own_dir;
}

Status enable_controllers_in(const std::string& dir, bool is_own) {
  std::string file = dir + "/cgroup.subtree_control";
  int error = write_file_errno(file, kEnableControllers);
  // EBUSY is the no-internal-processes rule; our own cgroup we may empty into a leaf. (The
  // root cgroup is exempt, so the host's processes there are never moved.) A few tries: a
  // process forked meanwhile by one not yet moved is born in `dir`.
  for (int attempt = 0; error == EBUSY && is_own && attempt < 3; ++attempt) {
    if (auto ok = move_into_leaf(dir); !ok) return ok;
    error = write_file_errno(file, kEnableControllers);
  }
  if (error == 0) return Ok{};
  return Error{"write \"" + std::string(kEnableControllers) + "\" to " + file + ": " +
               errno_text(error) + " (expected a delegated cgroup, e.g. systemd Delegate=yes)"};
}

// Enables the controllers in the subtree_control of every cgroup from the mount point down to
// `parent` (inclusive, so that sandboxes created under it get them) where they are missing.
Status enable_controllers(const Home& home, const std::string& own, const std::string& parent) {
  for (size_t end = home.mount_point.size();; end = parent.find('/', end + 1)) {
    std::string dir = parent.substr(0, end);
    if (!lists_all_controllers(dir + "/cgroup.subtree_control")) {
      if (auto ok = enable_controllers_in(dir, dir == own); !ok) return ok;
    }
    if (end == std::string::npos) return Ok{};
  }
}

Status set_limits(const std::string& dir, const Limits& limits) {
  if (limits.memory_bytes != 0) {
    if (auto ok = write_file(dir + "/memory.max", std::to_string(limits.memory_bytes)); !ok) {
      return ok;
    }
  }
  // Absent when the kernel does not account swap; then there is no swap to cap.
  if (file_exists(dir + "/memory.swap.max")) {
    if (auto ok = write_file(dir + "/memory.swap.max", "0"); !ok) return ok;
  }
  // An OOM kill takes the whole sandbox, not one process of it.
  if (auto ok = write_file(dir + "/memory.oom.group", "1"); !ok) return ok;
  if (limits.pids != 0) {
    if (auto ok = write_file(dir + "/pids.max", std::to_string(limits.pids)); !ok) return ok;
  }
  if (limits.cpu_millicores != 0) {
    uint64_t quota =
        std::max(uint64_t{limits.cpu_millicores} * kCpuPeriodUs / 1000, kMinCpuQuotaUs);
    std::string value = std::to_string(quota) + " " + std::to_string(kCpuPeriodUs);
    if (auto ok = write_file(dir + "/cpu.max", value); !ok) return ok;
  }
  return write_file(dir + "/cpu.weight", std::to_string(limits.cpu_weight));
}

// --- the device program ---

bpf_insn instruction(uint8_t code, uint8_t dst, uint8_t src, int16_t offset, int32_t imm) {
  bpf_insn insn{};
  insn.code = code;
  insn.dst_reg = dst & 0xf;
  insn.src_reg = src & 0xf;
  insn.off = offset;
  insn.imm = imm;
  return insn;
}

bpf_insn load_ctx_field(uint8_t dst, size_t offset) {
  return instruction(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, static_cast<int16_t>(offset), 0);
}

int32_t access_bits(std::string_view access) {
  int32_t bits = 0;
  if (access.find('m') != std::string_view::npos) bits |= BPF_DEVCG_ACC_MKNOD;
  if (access.find('r') != std::string_view::npos) bits |= BPF_DEVCG_ACC_READ;
  if (access.find('w') != std::string_view::npos) bits |= BPF_DEVCG_ACC_WRITE;
  return bits;
}

// Registers while the rules run: r3 device type, r4 requested access, r5 major, r6 minor.
// Each rule is 8 instructions: on a mismatch it jumps to the next rule; on a match whose
// requested access is within the rule's, it returns 1 (allow). After the last rule: 0 (deny).
std::vector<bpf_insn> device_program(const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> program = {
      load_ctx_field(BPF_REG_2, offsetof(bpf_cgroup_dev_ctx, access_type)),
      instruction(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0),
      instruction(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_3, 0, 0, 0xffff),  // low half: type
      instruction(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_2, 0, 0),
      instruction(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_4, 0, 0, 16),  // high half: access
      load_ctx_field(BPF_REG_5, offsetof(bpf_cgroup_dev_ctx, major)),
      load_ctx_field(BPF_REG_6, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  for (const auto& rule : rules) {
    int32_t type = rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
    // check_limits() bounds major and minor to the kernel's 12 and 20 bits, so they fit imm.
    auto major = static_cast<int32_t>(rule.major);
    auto minor = static_cast<int32_t>(rule.minor);
    std::vector<bpf_insn> block = {
        instruction(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_3, 0, 7, type),
        instruction(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 6, major),
        instruction(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_6, 0, 5, minor),
        instruction(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_4, 0, 0),
        instruction(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_0, 0, 0, ~access_bits(rule.access)),
        instruction(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 2, 0),  // asks for more than allowed
        instruction(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1),
        instruction(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    };
    program.insert(program.end(), block.begin(), block.end());
  }
  program.push_back(instruction(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
  program.push_back(instruction(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  return program;
}

long bpf(int command, bpf_attr& attr) {
  return ::syscall(SYS_bpf, command, &attr, sizeof attr);
}

Expected<UniqueFd> load_device_program(const std::vector<bpf_insn>& program) {
  static const char kLicense[] = "GPL";
  std::string verifier_log(1 << 16, '\0');
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(program.data());
  attr.insn_cnt = static_cast<uint32_t>(program.size());
  attr.license = reinterpret_cast<uint64_t>(kLicense);
  UniqueFd fd(static_cast<int>(bpf(BPF_PROG_LOAD, attr)));
  if (fd) return fd;
  int error = errno;
  // Load again with the verifier's log, only to say why.
  attr.log_buf = reinterpret_cast<uint64_t>(verifier_log.data());
  attr.log_size = static_cast<uint32_t>(verifier_log.size());
  attr.log_level = 1;
  UniqueFd retry(static_cast<int>(bpf(BPF_PROG_LOAD, attr)));
  verifier_log.resize(std::strlen(verifier_log.c_str()));
  return Error{"bpf(BPF_PROG_LOAD) of the cgroup device program (" +
               std::to_string(program.size()) + " instructions): " + errno_text(error) +
               (verifier_log.empty() ? "" : "; verifier: " + verifier_log)};
}

}  // namespace

bool detected() {
  struct statfs fs {};
  if (::statfs(std::string(kRoot).c_str(), &fs) != 0) return false;
  if (static_cast<uint64_t>(fs.f_type) != CGROUP2_SUPER_MAGIC) return false;
  return lists_all_controllers(std::string(kRoot) + "/cgroup.controllers");
}

Expected<Manager::Paths> open(const std::string& relative_parent) {
  // Found once: after the first open this process may live in its leaf, not its home.
  static const Expected<Home> kHome = find_home();
  if (!kHome) return kHome.error();
  const Home& home = *kHome;
  const std::string own = shared_home(home.own_dir);
  if (relative_parent.empty() && !lists_all_controllers(own + "/cgroup.controllers")) {
    return Error{own +
                 "/cgroup.controllers lacks one of memory, pids, cpu (expected "
                 "them delegated to us, e.g. systemd Delegate=yes)"};
  }
  Manager::Paths paths;
  paths.v2_parent = relative_parent.empty() ? own + "/" + std::string(kDefaultParent)
                                            : home.mount_point + "/" + relative_parent;
  if (auto ok = make_dirs(paths.v2_parent); !ok) return ok.error();
  if (auto ok = enable_controllers(home, own, paths.v2_parent); !ok) return ok.error();
  return paths;
}

Status create(Cgroup::State& state, const Manager::Paths& paths, const Limits& limits) {
  std::string dir = paths.v2_parent + "/" + state.name;
  if (auto ok = make_new_dir(dir); !ok) return ok;
  state.dirs.push_back(dir);
  state.v2_dir_fd = UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!state.v2_dir_fd) return Error{"open " + dir + " (cgroup directory): " + errno_text(errno)};
  if (auto ok = set_limits(dir, limits); !ok) return ok;
  return attach_device_program(state.v2_dir_fd.get(), dir, limits.devices);
}

void adopt(Cgroup::State& state, const Manager::Paths& paths) {
  std::string dir = paths.v2_parent + "/" + state.name;
  // No fd: the fd serves CLONE_INTO_CGROUP and the device program, neither of which an
  // adopted cgroup gets.
  if (file_exists(dir)) state.dirs.push_back(std::move(dir));
}

Usage usage(const Cgroup::State& state) {
  const std::string& dir = state.dirs.front();
  Usage usage;
  usage.cpu_ms =
      static_cast<int64_t>(read_keyed(dir + "/cpu.stat", "usage_usec").value_or(0) / 1000);
  // memory.peak arrived in Linux 5.19; before it, the current charge is the best we have.
  auto peak = read_number(dir + "/memory.peak");
  usage.peak_memory_bytes = peak ? *peak : read_number(dir + "/memory.current").value_or(0);
  usage.oom_kills = read_keyed(dir + "/memory.events", "oom_kill").value_or(0);
  return usage;
}

void kill_all(const Cgroup::State& state) {
  const std::string& dir = state.dirs.front();
  // cgroup.kill (Linux 5.14) kills atomically, forks in flight included.
  if (write_file(dir + "/cgroup.kill", "1")) return;
  kill_until_empty(dir, std::chrono::steady_clock::now() + std::chrono::seconds(2));
}

Status attach_device_program(int dir_fd, const std::string& dir,
                             const std::vector<DeviceNode>& extra) {
  auto program = load_device_program(device_program(device_rules(extra)));
  if (!program) return program.error();
  bpf_attr attr{};
  attr.target_fd = static_cast<uint32_t>(dir_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(program->get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  // MULTI: programs of enclosing cgroups (systemd's, a container runtime's) keep applying too.
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, attr) != 0) {
    return Error{"bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE) to " + dir + ": " + errno_text(errno)};
  }
  return Ok{};  // the attachment holds the program; our fd may close
}

}  // namespace sandbox::cgroup::detail::v2
