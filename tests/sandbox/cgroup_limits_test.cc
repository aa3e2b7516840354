// sandbox::cgroup's limits hold against the real kernel: the OOM killer, the pids limit, CPU
// accounting, and the device rules (v1 devices controller or the v2 device program). Needs
// root and a cgroup memory controller.
#include <fcntl.h>
#include <gtest/gtest.h>
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
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sandbox/base.h"
#include "sandbox/cgroup.h"
#include "sandbox/cgroup_impl.h"
#include "sandbox/spec.h"
#include "tests/sandbox/cgroup_fixture.h"

namespace sandbox::cgroup::testing {
namespace {

using detail::read_cgroup_mounts;
using detail::read_self_cgroups;

void report(int fd, const std::string& line) {
  std::string text = line + "\n";
  (void)!::write(fd, text.data(), text.size());
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
  if (own.empty()) GTEST_SKIP() << "/proc/self/cgroup has no cgroup2 line";
  if (::access(own.c_str(), W_OK) != 0 && errno == EROFS) {
    GTEST_SKIP() << "this process's cgroup2 directory " << own << " is read-only here";
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
}  // namespace sandbox::cgroup::testing
