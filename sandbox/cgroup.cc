// Manager and Cgroup: version dispatch, removal, and the helpers both cgroup versions share
// (files, process lists, where the hierarchies are mounted).
#include "sandbox/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "sandbox/cgroup_impl.h"

namespace sandbox::cgroup {
namespace detail {
namespace {

using Clock = std::chrono::steady_clock;

// How long remove() keeps retrying rmdir while the kernel still counts exiting processes.
constexpr auto kRemoveDeadline = std::chrono::seconds(2);

void back_off(std::chrono::milliseconds& delay) {
  std::this_thread::sleep_for(delay);
  delay = std::min(delay * 2, std::chrono::milliseconds(20));
}

// Raw syscalls: Debian 12's <sys/pidfd.h> declares these without extern "C", so C++ cannot
// link against them.
int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
void pidfd_kill(int pidfd) {
  ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    bool is_escape = text[i] == '\\' && i + 3 < text.size() &&
                     std::all_of(text.begin() + i + 1, text.begin() + i + 4,
                                 [](char c) { return c >= '0' && c <= '7'; });
    if (is_escape) {
      out += static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                               (text[i + 3] - '0'));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

int write_file_errno(const std::string& path, std::string_view value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno;
  // cgroup files take one value per write(2); a short write would be a different value.
  ssize_t written = ::write(fd.get(), value.data(), value.size());
  if (written == static_cast<ssize_t>(value.size())) return 0;
  return written < 0 ? errno : EIO;
}

Status write_file(const std::string& path, std::string_view value) {
  int error = write_file_errno(path, value);
  if (error == 0) return Ok{};
  return Error{"write \"" + std::string(value) + "\" to " + path + ": " + errno_text(error)};
}

Expected<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error{"open " + path + " for reading: " + errno_text(errno)};
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error{"read " + path + ": " + errno_text(errno)};
    if (got == 0) return text;
    text.append(buffer, static_cast<size_t>(got));
  }
}

std::optional<uint64_t> read_keyed(const std::string& path, std::string_view key) {
  auto text = read_file(path);
  if (!text) return std::nullopt;
  std::istringstream lines(*text);
  std::string line_key;
  uint64_t value = 0;
  while (lines >> line_key >> value) {
    if (line_key == key) return value;
  }
  return std::nullopt;
}

std::optional<uint64_t> read_number(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  uint64_t value = 0;
  if (in >> value) return value;
  return std::nullopt;
}

bool file_exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

Status make_new_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0) {
    return Error{"mkdir " + path + " (expected a new cgroup): " + errno_text(errno)};
  }
  return Ok{};
}

Status make_dirs(const std::string& path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return Error{"mkdir " + prefix + " (parent cgroup " + path + "): " + errno_text(errno)};
    }
    if (slash == std::string::npos) return Ok{};
  }
}

Status check_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 128 && name.front() != '.' &&
            std::all_of(name.begin(), name.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '.' || c == '_' || c == '-';
            });
  if (ok) return Ok{};
  return Error{"cgroup name \"" + std::string(name) +
               "\": expected 1..128 characters of [A-Za-z0-9._-], not starting with '.'"};
}

Expected<std::string> check_relative_parent(std::string_view parent) {
  while (!parent.empty() && parent.front() == '/') parent.remove_prefix(1);
  if (parent.empty()) return std::string();
  for (const auto& component : split(parent, '/')) {
    if (auto ok = check_name(component); !ok) {
      return Error{"cgroup parent \"" + std::string(parent) + "\": " + ok.error().message};
    }
  }
  return std::string(parent);
}

std::vector<pid_t> read_pids(const std::string& dir) {
  std::vector<pid_t> pids;
  auto text = read_file(dir + "/cgroup.procs");
  if (!text) return pids;
  std::istringstream in(*text);
  for (pid_t pid = 0; in >> pid;) {
    if (pid > 0) pids.push_back(pid);  // 0: a process outside our pid namespace
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

size_t kill_listed(const std::string& dir) {
  std::vector<pid_t> listed = read_pids(dir);
  // Pin each listed process with a pidfd, then confirm it is still in the cgroup: a pid that
  // exited and was reused meanwhile belongs to some other process, and the pidfd of a process
  // that has gone is refused by pidfd_send_signal rather than hitting the newcomer.
  std::vector<std::pair<pid_t, UniqueFd>> pinned;
  for (pid_t pid : listed) {
    int fd = pidfd_open(pid);
    if (fd >= 0 || errno == ENOSYS) pinned.emplace_back(pid, UniqueFd(fd));
  }
  std::vector<pid_t> confirmed = read_pids(dir);
  for (const auto& [pid, fd] : pinned) {
    if (!std::binary_search(confirmed.begin(), confirmed.end(), pid)) continue;
    if (fd) {
      pidfd_kill(fd.get());
    } else {
      ::kill(pid, SIGKILL);  // kernel without pidfds (< 5.3)
    }
  }
  return listed.size();
}

bool kill_until_empty(const std::string& dir, std::chrono::steady_clock::time_point deadline) {
  auto delay = std::chrono::milliseconds(1);
  while (kill_listed(dir) > 0) {
    if (Clock::now() > deadline) return false;
    back_off(delay);
  }
  return true;
}

std::vector<CgroupMount> read_cgroup_mounts(const std::string& mountinfo_text) {
  std::vector<CgroupMount> mounts;
  std::istringstream lines(mountinfo_text);
  for (std::string line; std::getline(lines, line);) {
    auto fields = split(line, ' ');
    auto separator = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || fields.end() - separator < 4) continue;
    const std::string& fstype = separator[1];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    CgroupMount mount{
        unescape_octal(fields[3]), unescape_octal(fields[4]), fstype == "cgroup2", {}};
    if (!mount.v2) mount.controllers = split(separator[3], ',');
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

std::vector<SelfCgroup> read_self_cgroups(const std::string& proc_cgroup_text) {
  std::vector<SelfCgroup> cgroups;
  std::istringstream lines(proc_cgroup_text);
  for (std::string line; std::getline(lines, line);) {
    size_t first = line.find(':');
    size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    SelfCgroup cgroup{controllers.empty() ? std::vector<std::string>{} : split(controllers, ','),
                      line.substr(second + 1)};
    cgroups.push_back(std::move(cgroup));
  }
  return cgroups;
}

Expected<std::string> dir_under_mount(const CgroupMount& mount, const std::string& path) {
  std::string_view relative = path;
  if (mount.root != "/") {
    bool under = relative == mount.root ||
                 (relative.starts_with(mount.root) && relative[mount.root.size()] == '/');
    if (!under) {
      return Error{"cgroup " + path + " is outside the root " + mount.root + " of the mount at " +
                   mount.mount_point + " (expected the mount to show our own cgroup)"};
    }
    relative.remove_prefix(mount.root.size());
  }
  while (!relative.empty() && relative.back() == '/') relative.remove_suffix(1);
  return mount.mount_point + std::string(relative);
}

std::vector<DeviceRule> device_rules(const std::vector<DeviceNode>& extra) {
  std::vector<DeviceRule> rules = {
      {'c', 1, 3, "rwm"},  // null
      {'c', 1, 5, "rwm"},  // zero
      {'c', 1, 7, "rwm"},  // full
      {'c', 1, 8, "rwm"},  // random
      {'c', 1, 9, "rwm"},  // urandom
      {'c', 5, 0, "rwm"},  // tty
  };
  for (const auto& node : extra) rules.push_back({node.type, node.major, node.minor, "rw"});
  return rules;
}

Status check_limits(const Limits& limits) {
  if (limits.cpu_weight < 1 || limits.cpu_weight > 10000) {
    return Error{"cpu_weight " + std::to_string(limits.cpu_weight) + ": expected 1..10000"};
  }
  for (const auto& node : limits.devices) {
    // Linux device numbers are 12-bit major, 20-bit minor.
    if ((node.type != 'c' && node.type != 'b') || node.major > 0xfff || node.minor > 0xfffff) {
      return Error{"device " + node.path + " (" + std::string(1, node.type) + " " +
                   std::to_string(node.major) + ":" + std::to_string(node.minor) +
                   "): expected type 'c' or 'b', major < 4096, minor < 1048576"};
    }
  }
  return Ok{};
}

pid_t sandbox_owner(std::string_view name) {
  constexpr std::string_view kPrefix = "sbx-";
  if (!name.starts_with(kPrefix)) return 0;
  const char* end = name.data() + name.size();
  pid_t pid = 0;
  // Out of range is not a pid, so not a name Runner made.
  auto [dash, error] = std::from_chars(name.data() + kPrefix.size(), end, pid);
  if (error != std::errc() || pid <= 0 || dash == end || *dash != '-') return 0;
  const std::string_view serial(dash + 1, static_cast<size_t>(end - dash - 1));
  const bool digits = !serial.empty() && serial.find_first_not_of("0123456789") == serial.npos;
  return digits ? pid : 0;
}

namespace {

// The sandbox cgroups under `parents` whose owner does not run (EPERM: it runs as another
// user).
std::set<std::string> orphan_names(const std::vector<std::string>& parents) {
  std::set<std::string> names;
  for (const auto& parent : parents) {
    std::error_code error, not_a_dir;
    for (std::filesystem::directory_iterator it(parent, error), end; !error && it != end;
         it.increment(error)) {
      std::string name = it->path().filename().string();
      const pid_t owner = sandbox_owner(name);
      const bool dead = owner != 0 && ::kill(owner, 0) != 0 && errno == ESRCH;
      if (dead && it->is_directory(not_a_dir)) names.insert(std::move(name));
    }
  }
  return names;
}

// cgroup.procs shows a process of another pid namespace as 0.
bool holds_unseen_process(const std::string& dir) {
  auto text = read_file(dir + "/cgroup.procs");
  std::istringstream in(text ? *text : std::string());
  for (pid_t pid = -1; in >> pid;) {
    if (pid == 0) return true;
  }
  return false;
}

}  // namespace

}  // namespace detail

std::string sandbox_name(pid_t owner, uint64_t serial) {
  return "sbx-" + std::to_string(owner) + "-" + std::to_string(serial);
}

// --- Cgroup ---

Cgroup::Cgroup(std::unique_ptr<State> state) : state_(std::move(state)) {}
Cgroup::Cgroup(Cgroup&&) noexcept = default;

Cgroup& Cgroup::operator=(Cgroup&& other) noexcept {
  if (this != &other) {
    (void)remove();
    state_ = std::move(other.state_);
  }
  return *this;
}

Cgroup::~Cgroup() {
  (void)remove();
}

Status Cgroup::add(pid_t pid) const {
  if (!state_ || state_->removed) return Error{"cgroup add: the cgroup was removed"};
  for (const auto& dir : state_->dirs) {
    if (auto ok = detail::write_file(dir + "/cgroup.procs", std::to_string(pid)); !ok) return ok;
  }
  return Ok{};
}

int Cgroup::clone_into_fd() const {
  return state_ ? state_->v2_dir_fd.get() : -1;
}

// A cgroup whose creation failed before its first directory was made has no dirs: nothing to
// read, kill or remove (v2 reads dirs.front()).
Usage Cgroup::usage() const {
  if (!state_ || state_->removed || state_->dirs.empty()) return {};
  return state_->version == Version::v2 ? detail::v2::usage(*state_) : detail::v1::usage(*state_);
}

void Cgroup::kill_all() const {
  if (!state_ || state_->removed || state_->dirs.empty()) return;
  if (state_->version == Version::v2) {
    detail::v2::kill_all(*state_);
  } else {
    detail::v1::kill_all(*state_);
  }
}

Status Cgroup::remove() {
  if (!state_ || state_->removed) return Ok{};
  kill_all();
  auto deadline = detail::Clock::now() + detail::kRemoveDeadline;
  std::string failures;
  for (const auto& dir : state_->dirs) {
    auto delay = std::chrono::milliseconds(1);
    // EBUSY: processes just killed (or reaped) are still leaving the cgroup.
    while (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
      int error = errno;
      if (error != EBUSY || detail::Clock::now() > deadline) {
        failures +=
            (failures.empty() ? "" : "; ") + ("rmdir " + dir + ": ") + detail::errno_text(error);
        break;
      }
      detail::kill_listed(dir);
      detail::back_off(delay);
    }
  }
  if (!failures.empty()) return Error{"removing cgroup " + state_->name + ": " + failures};
  state_->v2_dir_fd.reset();
  state_->removed = true;
  return Ok{};
}

const std::string& Cgroup::name() const {
  static const std::string kNoName;
  return state_ ? state_->name : kNoName;
}

// --- Manager ---

Expected<std::shared_ptr<Manager>> Manager::open(const std::string& parent) {
  auto relative_parent = detail::check_relative_parent(parent);
  if (!relative_parent) return relative_parent.error();
  static const Version kVersion = detail::v2::detected() ? Version::v2 : Version::v1;
  auto paths = kVersion == Version::v2 ? detail::v2::open(*relative_parent)
                                       : detail::v1::open(*relative_parent);
  if (!paths) return paths.error();
  std::shared_ptr<Manager> manager(new Manager());
  manager->version_ = kVersion;
  manager->paths_ = std::make_shared<const Paths>(std::move(*paths));
  return manager;
}

Expected<Cgroup> Manager::create(std::string_view name, const Limits& limits) const {
  if (auto ok = detail::check_name(name); !ok) return ok.error();
  if (auto ok = detail::check_limits(limits); !ok) return ok.error();
  auto state = std::make_unique<Cgroup::State>();
  state->version = version_;
  state->name = std::string(name);
  Cgroup cgroup(std::move(state));
  // On failure `cgroup` goes out of scope and removes whatever was already created.
  Status made = version_ == Version::v2 ? detail::v2::create(*cgroup.state_, *paths_, limits)
                                        : detail::v1::create(*cgroup.state_, *paths_, limits);
  if (!made) return made.error();
  return Expected<Cgroup>(std::move(cgroup));
}

std::vector<std::string> Manager::parent_dirs() const {
  if (version_ == Version::v2) return {paths_->v2_parent};
  std::vector<std::string> dirs;
  for (const auto& [controller, dir] : paths_->v1_parent) {
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  }
  return dirs;
}

Sweep Manager::sweep_orphans() const {
  Sweep sweep;
  for (const std::string& name : detail::orphan_names(parent_dirs())) {
    auto state = std::make_unique<Cgroup::State>();
    state->version = version_;
    state->name = name;
    if (version_ == Version::v2) {
      detail::v2::adopt(*state, *paths_);
    } else {
      detail::v1::adopt(*state, *paths_);
    }
    const auto& dirs = state->dirs;
    // Gone meanwhile (another process swept it), or not ours to judge.
    if (dirs.empty() || std::any_of(dirs.begin(), dirs.end(), detail::holds_unseen_process)) {
      continue;
    }
    std::set<pid_t> inside;  // v1 lists the same process once per hierarchy
    for (const auto& dir : dirs) {
      for (pid_t pid : detail::read_pids(dir)) inside.insert(pid);
    }
    Cgroup orphan(std::move(state));
    if (auto removed = orphan.remove(); !removed) {
      sweep.errors.push_back(removed.error().message);
      continue;
    }
    ++sweep.removed[detail::sandbox_owner(name)];
    sweep.killed += inside.size();
  }
  return sweep;
}

}  // namespace sandbox::cgroup
