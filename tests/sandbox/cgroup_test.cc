// sandbox::cgroup against the real kernel: limits land in the control files and hold (OOM,
// pids, devices), usage is read back, and nothing is left behind. Needs root and a cgroup
// memory controller; the parsers and argument checks are tested everywhere.
#include "sandbox/cgroup.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "sandbox/cgroup_impl.h"

namespace sandbox::cgroup {
namespace {

namespace fs = std::filesystem;
using detail::read_cgroup_mounts;
using detail::read_self_cgroups;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trimmed(const std::string& path) {
  std::string text = slurp(path);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Empty when this machine can run the kernel tests; otherwise what is missing.
std::string missing_prerequisite() {
  if (::geteuid() != 0) return "root (creating cgroups)";
  for (const auto& mount : read_cgroup_mounts(slurp("/proc/self/mountinfo"))) {
    if (!mount.v2 && std::count(mount.controllers.begin(), mount.controllers.end(), "memory")) {
      return {};
    }
    if (mount.v2 &&
        slurp(mount.mount_point + "/cgroup.controllers").find("memory") != std::string::npos) {
      return {};
    }
  }
  return "a cgroup memory controller (a v1 memory hierarchy, or cgroup2 offering memory)";
}

// Controller ("" for cgroup2) -> the directory `pid` sits in, read from /proc/<pid>/cgroup.
std::map<std::string, std::string> cgroup_dirs_of(pid_t pid, Version version) {
  static const std::set<std::string> kOurs = {"memory",  "pids",    "cpu",
                                              "cpuacct", "devices", "freezer"};
  auto mounts = read_cgroup_mounts(slurp("/proc/self/mountinfo"));
  std::map<std::string, std::string> dirs;
  for (const auto& line : read_self_cgroups(slurp("/proc/" + std::to_string(pid) + "/cgroup"))) {
    for (const auto& mount : mounts) {
      bool v2_line = line.controllers.empty();
      if (mount.v2 != v2_line || v2_line != (version == Version::v2)) continue;
      for (const auto& controller : v2_line ? std::vector<std::string>{""} : line.controllers) {
        bool wanted =
            v2_line || (kOurs.count(controller) &&
                        std::count(mount.controllers.begin(), mount.controllers.end(), controller));
        auto dir = detail::dir_under_mount(mount, line.path);
        if (wanted && dir && !dirs.count(controller)) dirs[controller] = *dir;
      }
    }
  }
  return dirs;
}

// A forked child that waits for go() before running `body` (so the test can move it into a
// cgroup first); `body` may write one line of report. Killed and reaped if the test does not.
class Child {
 public:
  explicit Child(std::function<int(int report_fd)> body = [](int) { return 0; }) {
    int go[2], report[2];
    if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(report, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(go[1]);
      ::close(report[0]);
      char byte = 0;
      if (::read(go[0], &byte, 1) != 1) ::_exit(120);
      ::_exit(body(report[1]));
    }
    ::close(go[0]);
    ::close(report[1]);
    go_ = UniqueFd(go[1]);
    report_ = UniqueFd(report[0]);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }
  void go() const {
    char byte = 1;
    ASSERT_EQ(::write(go_.get(), &byte, 1), 1);
  }
  // One line from the child; empty if it died or said nothing within a minute.
  std::string read_line() const {
    std::string line;
    pollfd ready{report_.get(), POLLIN, 0};
    char byte = 0;
    while (::poll(&ready, 1, 60'000) == 1 && ::read(report_.get(), &byte, 1) == 1 && byte != '\n') {
      line += byte;
    }
    return line;
  }
  // The child's wait status; a child still running after a minute is a failure (and killed).
  int wait() {
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "child " << pid_ << " still runs; killing it";
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  UniqueFd go_, report_;
};

void report(int fd, const std::string& line) {
  std::string text = line + "\n";
  (void)!::write(fd, text.data(), text.size());
}

class CgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto missing = missing_prerequisite(); !missing.empty()) {
      GTEST_SKIP() << "cgroup kernel tests need " << missing;
    }
    auto opened = Manager::open();
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    manager_ = *opened;
  }

  // Unique across the processes of several engineers running tests at once.
  static std::string unique_name(const std::string& what) {
    static int counter = 0;
    return "t" + std::to_string(::getpid()) + "-" + what + "-" + std::to_string(counter++);
  }

  Cgroup create(const Limits& limits, const std::string& what) {
    auto cgroup = manager_->create(unique_name(what), limits);
    EXPECT_TRUE(cgroup.ok()) << cgroup.error().message;
    return cgroup.ok() ? std::move(cgroup).value() : Cgroup();
  }

  // Moves the child in and returns the directories /proc/<pid>/cgroup now names.
  std::map<std::string, std::string> add(const Cgroup& cgroup, const Child& child) {
    auto added = cgroup.add(child.pid());
    EXPECT_TRUE(added.ok()) << added.error().message;
    return cgroup_dirs_of(child.pid(), manager_->version());
  }

  std::shared_ptr<Manager> manager_;
};

// --- no kernel needed ---

TEST(CgroupParse, FindsMountsAndOwnCgroups) {
  std::string mountinfo =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
      "33 31 0:30 /docker/abc /sys/fs/cgroup/mem\\040ory rw shared:5 - cgroup cgroup rw,memory\n"
      "34 31 0:31 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
  auto mounts = read_cgroup_mounts(mountinfo);
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_EQ(mounts[0].controllers, (std::vector<std::string>{"rw", "cpu", "cpuacct"}));
  EXPECT_EQ(mounts[1].mount_point, "/sys/fs/cgroup/mem ory");
  EXPECT_EQ(mounts[1].root, "/docker/abc");
  EXPECT_TRUE(mounts[2].v2);

  auto selves = read_self_cgroups("4:memory:/docker/abc/x\n2:cpu,cpuacct:/\n0::/user.slice\n");
  ASSERT_EQ(selves.size(), 3u);
  EXPECT_EQ(selves[1].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_TRUE(selves[2].controllers.empty());
  EXPECT_EQ(selves[2].path, "/user.slice");

  EXPECT_EQ(detail::dir_under_mount(mounts[1], "/docker/abc/x").value(),
            "/sys/fs/cgroup/mem ory/x");
  EXPECT_EQ(detail::dir_under_mount(mounts[1], "/docker/abc").value(), "/sys/fs/cgroup/mem ory");
  EXPECT_FALSE(detail::dir_under_mount(mounts[1], "/docker/abcdef").ok());
  EXPECT_EQ(detail::dir_under_mount(mounts[0], "/").value(), "/sys/fs/cgroup/cpu,cpuacct");
}

TEST(CgroupParse, RefusesNamesThatLeaveTheParent) {
  EXPECT_TRUE(detail::check_name("sandbox-1_a.b").ok());
  for (const char* bad : {"", ".", "..", "../x", "a/b", ".hidden", "a b", "x\n"}) {
    EXPECT_FALSE(detail::check_name(bad).ok()) << bad;
  }
  EXPECT_EQ(detail::check_relative_parent("/agentd.slice/boxes").value(), "agentd.slice/boxes");
  EXPECT_FALSE(detail::check_relative_parent("a/../../etc").ok());
  EXPECT_FALSE(detail::check_relative_parent("a//b").ok());
  EXPECT_FALSE(Manager::open("../escape").ok());
}

TEST(CgroupParse, RefusesBadLimits) {
  Limits limits;
  limits.cpu_weight = 0;
  EXPECT_FALSE(detail::check_limits(limits).ok());
  limits.cpu_weight = 10001;
  EXPECT_FALSE(detail::check_limits(limits).ok());
  limits.cpu_weight = 100;
  limits.devices = {{"/dev/x", 'x', 1, 1}};
  EXPECT_FALSE(detail::check_limits(limits).ok());
  limits.devices = {{"/dev/x", 'c', 4096, 0}};
  EXPECT_FALSE(detail::check_limits(limits).ok());
  limits.devices = {{"/dev/nvidia0", 'c', 195, 0}};
  EXPECT_TRUE(detail::check_limits(limits).ok());
}

// --- the kernel ---

TEST_F(CgroupTest, RefusesNameClashAndBadArguments) {
  std::string name = unique_name("clash");
  auto first = manager_->create(name, {});
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = manager_->create(name, {});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find(name), std::string::npos) << second.error().message;
  // The failed twin must not have removed the live cgroup.
  Child child;
  EXPECT_TRUE(first->add(child.pid()).ok());
  EXPECT_FALSE(manager_->create("../" + name, {}).ok());
  Limits bad;
  bad.cpu_weight = 0;
  EXPECT_FALSE(manager_->create(unique_name("weight"), bad).ok());
}

TEST_F(CgroupTest, LimitFilesHoldTheLimits) {
  Limits limits;
  limits.memory_bytes = 64ull << 20;
  limits.pids = 20;
  limits.cpu_millicores = 500;
  limits.cpu_weight = 200;
  limits.devices = {{"/dev/nvidia0", 'c', 195, 0}};
  Cgroup cgroup = create(limits, "limits");
  Child child;
  auto dirs = add(cgroup, child);
  if (manager_->version() == Version::v2) {
    const std::string& dir = dirs[""];
    EXPECT_EQ(trimmed(dir + "/memory.max"), "67108864");
    if (fs::exists(dir + "/memory.swap.max")) {
      EXPECT_EQ(trimmed(dir + "/memory.swap.max"), "0");
    }
    EXPECT_EQ(trimmed(dir + "/memory.oom.group"), "1");
    EXPECT_EQ(trimmed(dir + "/pids.max"), "20");
    EXPECT_EQ(trimmed(dir + "/cpu.max"), "50000 100000");
    EXPECT_EQ(trimmed(dir + "/cpu.weight"), "200");
    EXPECT_GE(cgroup.clone_into_fd(), 0);
    return;
  }
  EXPECT_EQ(cgroup.clone_into_fd(), -1);
  EXPECT_EQ(trimmed(dirs["memory"] + "/memory.limit_in_bytes"), "67108864");
  if (fs::exists(dirs["memory"] + "/memory.memsw.limit_in_bytes")) {
    EXPECT_EQ(trimmed(dirs["memory"] + "/memory.memsw.limit_in_bytes"), "67108864");
  } else {
    EXPECT_EQ(trimmed(dirs["memory"] + "/memory.swappiness"), "0");
  }
  EXPECT_EQ(trimmed(dirs["pids"] + "/pids.max"), "20");
  EXPECT_EQ(trimmed(dirs["cpu"] + "/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(trimmed(dirs["cpu"] + "/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(trimmed(dirs["cpu"] + "/cpu.shares"), "2048");
  EXPECT_EQ(slurp(dirs["devices"] + "/devices.list"),
            "c 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\nc 195:0 rw\n");
}

TEST_F(CgroupTest, AddPlacesProcessInEveryHierarchy) {
  Cgroup cgroup = create({}, "add");
  Child child;
  auto dirs = add(cgroup, child);
  std::vector<std::string> expected =
      manager_->version() == Version::v2
          ? std::vector<std::string>{""}
          : std::vector<std::string>{"memory", "pids", "cpu", "cpuacct", "devices"};
  for (const auto& controller : expected) {
    ASSERT_TRUE(dirs.count(controller)) << "no " << controller << " line for the child";
    EXPECT_TRUE(dirs[controller].ends_with("/agentd-sandboxes/" + cgroup.name()))
        << controller << ": " << dirs[controller];
  }
}

TEST_F(CgroupTest, OomKillsAllocatorAndCountsIt) {
  Limits limits;
  limits.memory_bytes = 32ull << 20;
  Cgroup cgroup = create(limits, "oom");
  Child child([](int) {
    size_t size = 200ull << 20;
    auto* memory = static_cast<volatile char*>(
        ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (memory == MAP_FAILED) return 3;
    for (size_t offset = 0; offset < size; offset += 4096) memory[offset] = 1;
    return 0;
  });
  add(cgroup, child);
  child.go();
  int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  Usage usage = cgroup.usage();
  EXPECT_GT(usage.oom_kills, 0u);
  EXPECT_GT(usage.peak_memory_bytes, 0u);
  EXPECT_LE(usage.peak_memory_bytes, limits.memory_bytes);
}

TEST_F(CgroupTest, PidsLimitStopsForks) {
  Limits limits;
  limits.pids = 8;
  Cgroup cgroup = create(limits, "pids");
  // Grandchildren reparent to us when the cgroup is killed, so we can reap them.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  Child child([](int report_fd) {
    int forked = 0;
    int error = 0;
    for (; forked < 1000; ++forked) {  // bounded in case the limit does not hold
      pid_t pid = ::fork();
      if (pid == 0) {
        ::pause();
        ::_exit(0);
      }
      if (pid < 0) {
        error = errno;
        break;
      }
    }
    report(report_fd, std::to_string(forked) + " " + std::to_string(error));
    ::pause();
    return 0;
  });
  add(cgroup, child);
  child.go();
  std::string line = child.read_line();
  EXPECT_EQ(line, std::to_string(limits.pids - 1) + " " + std::to_string(EAGAIN));
  auto removed = cgroup.remove();
  EXPECT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_EQ(WTERMSIG(child.wait()), SIGKILL);
  // Reap the grandchildren, now ours; they still run (and this fails) if the kill missed them.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool reaped_all = false;
  while (!reaped_all && std::chrono::steady_clock::now() < deadline) {
    reaped_all = ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
    if (!reaped_all) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(reaped_all) << "grandchildren survived the cgroup's removal";
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST_F(CgroupTest, CpuUsageGrowsWhileSpinning) {
  Cgroup cgroup = create({}, "cpu");
  Child child([](int) {
    volatile uint64_t spin = 0;
    for (;;) {
      spin = spin + 1;
    }
    return 0;
  });
  add(cgroup, child);
  int64_t before = cgroup.usage().cpu_ms;
  child.go();
  // Wait (bounded) for the spinner to accumulate CPU time; this asserts growth, not speed.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (cgroup.usage().cpu_ms < before + 50 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(cgroup.usage().cpu_ms, before + 50);
}

TEST_F(CgroupTest, RemoveKillsAndLeavesNoDirectory) {
  Cgroup cgroup = create({}, "remove");
  Child child;
  auto dirs = add(cgroup, child);
  ASSERT_FALSE(dirs.empty());
  auto removed = cgroup.remove();
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  for (const auto& [controller, dir] : dirs) EXPECT_FALSE(fs::exists(dir)) << dir;
  int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_TRUE(cgroup.remove().ok());  // twice is fine
  EXPECT_FALSE(cgroup.add(::getpid()).ok());
}

TEST_F(CgroupTest, DestructorKillsAndRemoves) {
  Child child;
  std::map<std::string, std::string> dirs;
  {
    Cgroup cgroup = create({}, "destructor");
    dirs = add(cgroup, child);
    Cgroup moved = std::move(cgroup);  // the moved-from shell must not remove anything
  }
  ASSERT_FALSE(dirs.empty());
  for (const auto& [controller, dir] : dirs) EXPECT_FALSE(fs::exists(dir)) << dir;
  EXPECT_EQ(WTERMSIG(child.wait()), SIGKILL);
}

TEST_F(CgroupTest, ExplicitParentSitsAtTheHierarchyRoot) {
  std::string top = "agentd-test-" + std::to_string(::getpid());
  auto opened = Manager::open(top + "/boxes");
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  std::set<std::string> mount_points;
  for (const auto& mount : read_cgroup_mounts(slurp("/proc/self/mountinfo"))) {
    mount_points.insert(mount.mount_point);
  }
  std::map<std::string, std::string> dirs;
  {
    auto cgroup = (*opened)->create("box", {});
    ASSERT_TRUE(cgroup.ok()) << cgroup.error().message;
    Child child;
    dirs = add(*cgroup, child);
  }
  ASSERT_FALSE(dirs.empty());
  for (const auto& [controller, dir] : dirs) {
    fs::path top_dir = fs::path(dir).parent_path().parent_path();
    EXPECT_EQ(top_dir.filename(), top) << dir;
    EXPECT_TRUE(mount_points.count(top_dir.parent_path())) << dir << " is not at a mount's root";
    EXPECT_FALSE(fs::exists(dir));
    ::rmdir((top_dir / "boxes").c_str());
    ::rmdir(top_dir.c_str());
  }
}

TEST_F(CgroupTest, ManyCgroupsLeaveNone) {
  std::set<std::string> parents;
  {
    Cgroup probe = create({}, "probe");
    Child child;
    for (const auto& [controller, dir] : add(probe, child)) {
      parents.insert(fs::path(dir).parent_path());
    }
  }
  ASSERT_FALSE(parents.empty());
  std::string prefix = "t" + std::to_string(::getpid()) + "-many-";
  for (int i = 0; i < 200; ++i) {
    Limits limits;
    limits.memory_bytes = 16ull << 20;
    limits.pids = 4;
    auto cgroup = manager_->create(prefix + std::to_string(i), limits);
    ASSERT_TRUE(cgroup.ok()) << i << ": " << cgroup.error().message;
    auto removed = cgroup->remove();
    ASSERT_TRUE(removed.ok()) << i << ": " << removed.error().message;
  }
  for (const auto& parent : parents) {
    for (const auto& entry : fs::directory_iterator(parent)) {
      EXPECT_FALSE(entry.path().filename().string().starts_with(prefix)) << entry.path();
    }
  }
}

// A character device outside the allowed list that this (unconfined) process can open.
std::string unlisted_device() {
  for (const char* path : {"/dev/kmsg", "/dev/ptmx", "/dev/mem", "/dev/tty0", "/dev/console"}) {
    UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd) return path;
  }
  return {};
}

// The child tries /dev/null and `device`, and reports "<errno of null> <errno of device>".
Child open_probe(const std::string& device) {
  return Child([device](int report_fd) {
    auto try_open = [](const std::string& path) {
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
      return fd >= 0 ? 0 : errno;
    };
    report(report_fd,
           std::to_string(try_open("/dev/null")) + " " + std::to_string(try_open(device)));
    return 0;
  });
}

TEST_F(CgroupTest, DevicesOutsideTheListAreRefused) {
  std::string device = unlisted_device();
  if (device.empty()) GTEST_SKIP() << "no openable device outside the allowed list in /dev";
  Cgroup cgroup = create({}, "devices");
  Child child = open_probe(device);
  add(cgroup, child);
  child.go();
  EXPECT_EQ(child.read_line(), "0 " + std::to_string(EPERM)) << device;
}

// The v2 device program, exercised on whatever cgroup2 hierarchy this host has (on a hybrid
// v1 host, the controller-less unified one still runs device programs).
TEST(CgroupDeviceProgram, AllowsExactlyTheList) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (bpf, cgroup2 directories)";
  auto mounts = read_cgroup_mounts(slurp("/proc/self/mountinfo"));
  auto v2_mount = std::find_if(mounts.begin(), mounts.end(), [](auto& m) { return m.v2; });
  if (v2_mount == mounts.end()) GTEST_SKIP() << "needs a cgroup2 mount";
  std::string own;
  for (const auto& line : read_self_cgroups(slurp("/proc/self/cgroup"))) {
    if (line.controllers.empty()) own = detail::dir_under_mount(*v2_mount, line.path).value();
  }
  std::string device = unlisted_device();
  if (device.empty()) GTEST_SKIP() << "no openable device outside the allowed list in /dev";
  struct stat node {};
  ASSERT_EQ(::stat(device.c_str(), &node), 0);

  for (bool allow_it : {false, true}) {
    std::string dir = own + "/agentd-devtest-" + std::to_string(::getpid());
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << dir << ": " << std::strerror(errno);
    std::unique_ptr<const char, void (*)(const char*)> cleanup(dir.c_str(),
                                                               [](const char* d) { ::rmdir(d); });
    UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    std::vector<DeviceNode> extra;
    if (allow_it) extra.push_back({device, 'c', major(node.st_rdev), minor(node.st_rdev)});
    auto attached = detail::v2::attach_device_program(dir_fd.get(), dir, extra);
    ASSERT_TRUE(attached.ok()) << attached.error().message;
    Child child = open_probe(device);
    ASSERT_TRUE(detail::write_file(dir + "/cgroup.procs", std::to_string(child.pid())).ok());
    child.go();
    EXPECT_EQ(child.read_line(), "0 " + std::to_string(allow_it ? 0 : EPERM)) << device;
    child.wait();
  }
}

}  // namespace
}  // namespace sandbox::cgroup
