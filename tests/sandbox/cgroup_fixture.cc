#include "tests/sandbox/cgroup_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "sandbox/cgroup_impl.h"
#include "tests/fixtures/host_probe.h"

namespace sandbox::cgroup::testing {

using detail::read_cgroup_mounts;
using detail::read_self_cgroups;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Probed without the parsers under test, so that a host with cgroups fails where they break.
std::string missing_prerequisite() {
  if (::geteuid() != 0) return "root (creating cgroups)";
  return agentd::host_probe::cgroups_missing();
}

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

// ---- Child ------------------------------------------------------------------------------------

Child::Child(const std::function<int(int report_fd)>& body) {
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

Child::~Child() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void Child::go() const {
  char byte = 1;
  ASSERT_EQ(::write(go_.get(), &byte, 1), 1);
}

std::string Child::read_line() const {
  std::string line;
  pollfd ready{report_.get(), POLLIN, 0};
  char byte = 0;
  while (::poll(&ready, 1, 60'000) == 1 && ::read(report_.get(), &byte, 1) == 1 && byte != '\n') {
    line += byte;
  }
  return line;
}

int Child::wait() {
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

// ---- CgroupTest -------------------------------------------------------------------------------

void CgroupTest::SetUp() {
  if (auto missing = missing_prerequisite(); !missing.empty()) {
    GTEST_SKIP() << "cgroup kernel tests need " << missing;
  }
  auto opened = Manager::open();
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  manager_ = *opened;
}

std::string CgroupTest::unique_name(const std::string& what) {
  static int counter = 0;
  return "t" + std::to_string(::getpid()) + "-" + what + "-" + std::to_string(counter++);
}

Cgroup CgroupTest::create(const Limits& limits, const std::string& what) {
  auto cgroup = manager_->create(unique_name(what), limits);
  EXPECT_TRUE(cgroup.ok()) << cgroup.error().message;
  return cgroup.ok() ? std::move(cgroup).value() : Cgroup();
}

std::map<std::string, std::string> CgroupTest::add(const Cgroup& cgroup, const Child& child) {
  auto added = cgroup.add(child.pid());
  EXPECT_TRUE(added.ok()) << added.error().message;
  return cgroup_dirs_of(child.pid(), manager_->version());
}

}  // namespace sandbox::cgroup::testing
