// sandbox::cgroup: the parsers and argument checks (tested everywhere), and against the real
// kernel the manager's side: limits land in the control files, processes land in every
// hierarchy, and nothing is left behind. Needs root and a cgroup memory controller; that the
// limits hold (OOM, pids, CPU, devices) is in cgroup_limits_test.cc.
#include "sandbox/cgroup.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sandbox/cgroup_impl.h"
#include "tests/sandbox/cgroup_fixture.h"

namespace sandbox::cgroup::testing {
namespace {

namespace fs = std::filesystem;
using detail::read_cgroup_mounts;
using detail::read_self_cgroups;

std::string trimmed(const std::string& path) {
  std::string text = slurp(path);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

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

TEST(CgroupParse, ReadsTheOwnerBackFromASandboxName) {
  EXPECT_EQ(sandbox_name(1234, 7), "sbx-1234-7");
  EXPECT_EQ(detail::sandbox_owner("sbx-1234-7"), 1234);
  EXPECT_EQ(detail::sandbox_owner(sandbox_name(4194304, 0)), 4194304);
  for (const char* other : {"sbx-1234", "sbx--7", "sbx-1234-", "sbx-12a-7", "sbx-1234-7-x",
                            "sbx-0-1", "sbx-99999999999-1", "sbx-+12-1", "t1234-x-1", "box"}) {
    EXPECT_EQ(detail::sandbox_owner(other), 0) << other;
  }
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

// A pid no process has now: a child's, once it has exited and been reaped.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

TEST_F(CgroupTest, SweepRemovesTheCgroupsOfDeadOwnersOnly) {
  const pid_t dead = dead_pid();
  // What a daemon killed with SIGKILL leaves: an empty cgroup, and one whose sandbox still
  // runs. Beside them, a live owner's (ours, with a serial our runners never reach) and a
  // cgroup that is not a sandbox's.
  auto empty_orphan = manager_->create(sandbox_name(dead, 0), {});
  auto busy_orphan = manager_->create(sandbox_name(dead, 1), {});
  auto live = manager_->create(sandbox_name(::getpid(), 900'000'000), {});
  ASSERT_TRUE(empty_orphan.ok() && busy_orphan.ok() && live.ok());
  Cgroup other = create({}, "other");
  Child straggler;
  ASSERT_FALSE(add(*busy_orphan, straggler).empty());

  const Sweep sweep = manager_->sweep_orphans();

  ASSERT_TRUE(sweep.removed.count(dead)) << "nothing removed for dead pid " << dead;
  EXPECT_EQ(sweep.removed.at(dead), 2u);
  EXPECT_FALSE(sweep.removed.count(::getpid()));
  EXPECT_GE(sweep.killed, 1u);
  for (const auto& error : sweep.errors) {
    EXPECT_EQ(error.find(sandbox_name(dead, 0)), std::string::npos) << error;
    EXPECT_EQ(error.find(sandbox_name(dead, 1)), std::string::npos) << error;
  }
  EXPECT_EQ(WTERMSIG(straggler.wait()), SIGKILL);
  const auto parents = manager_->parent_dirs();
  ASSERT_FALSE(parents.empty());
  for (const auto& parent : parents) {
    EXPECT_FALSE(fs::exists(parent + "/" + sandbox_name(dead, 0))) << parent;
    EXPECT_FALSE(fs::exists(parent + "/" + sandbox_name(dead, 1))) << parent;
    EXPECT_TRUE(fs::exists(parent + "/" + live->name())) << parent;
    EXPECT_TRUE(fs::exists(parent + "/" + other.name())) << parent;
  }
  // The swept cgroups' owners (here, these handles) find them gone without complaint.
  EXPECT_TRUE(empty_orphan->remove().ok());
  EXPECT_TRUE(busy_orphan->remove().ok());
}

}  // namespace
}  // namespace sandbox::cgroup::testing
