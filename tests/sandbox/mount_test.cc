#include "sandbox/mount.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "tests/sandbox/runner_fixture.h"

namespace sandbox::testing {
namespace {

bool has_description(const mount::Plan& plan, const std::string& text) {
  for (const auto& d : plan.descriptions)
    if (d == text) return true;
  return false;
}

TEST(MountPlan, RefusesTargetsThatAreNotCleanAbsolutePaths) {
  for (const char* target : {"relative", "/a/../etc", "/./x", "/", "//", ""}) {
    Spec spec = default_spec({"/bin/true"});
    spec.mounts.push_back({MountType::tmpfs, "", target, 0});
    auto plan = mount::parent_build_plan(spec);
    ASSERT_FALSE(plan.ok()) << target;
    EXPECT_NE(plan.error().message.find("mount target"), std::string::npos);
  }
}

TEST(MountPlan, RefusesMissingBindSources) {
  Spec spec = default_spec({"/bin/true"});
  spec.mounts.push_back({MountType::ro_bind, "/no/such/path", "/data", 0});
  auto plan = mount::parent_build_plan(spec);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message.find("\"/no/such/path\""), std::string::npos);
  EXPECT_NE(plan.error().message.find("No such file"), std::string::npos);
}

TEST(MountPlan, RecreatesHostSymlinksBoundAtTheirOwnPath) {
  char link[256];
  const ssize_t n = ::readlink("/bin", link, sizeof link);
  if (n <= 0) GTEST_SKIP() << "/bin is not a symlink on this host (no merged /usr)";
  auto plan = mount::parent_build_plan(default_spec({"/bin/true"}));
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_TRUE(has_description(*plan, "symlink /bin"));
  EXPECT_TRUE(has_description(*plan, "read-only bind /usr -> /usr"));
}

TEST(MountPlan, ChecksDeviceNumbersAgainstTheHostNode) {
  Spec spec = default_spec({"/bin/true"});
  spec.devices.push_back({"/dev/null", 'c', 1, 5});  // /dev/null is 1:3
  auto plan = mount::parent_build_plan(spec);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message.find("expected c 1:5, the host node is c 1:3"), std::string::npos)
      << plan.error().message;
  spec.devices = {{"/dev/null", 'c', 1, 3}};
  EXPECT_TRUE(mount::parent_build_plan(spec).ok());
}

class MountInSandbox : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    char dir[] = "/tmp/agentd-mount-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    host_dir_ = dir;
    std::ofstream(host_dir_ + "/file") << "host content";
    ::chmod(dir, 0777);  // the sandbox's host uid is nobody we know
  }
  void TearDown() override {
    if (!host_dir_.empty()) std::system(("rm -rf " + host_dir_).c_str());
  }
  std::string host_dir_;
};

TEST_F(MountInSandbox, ReadOnlyBindIsReadableButNotWritable) {
  Result r =
      sh("cat /data/file; echo; echo x > /data/new 2>/dev/null && echo wrote || echo refused",
         [&](Spec& s) {
           s.mounts.push_back({MountType::ro_bind, host_dir_, "/data", 0});
         });
  ASSERT_EQ(r.status, RunStatus::ok) << r.error;
  EXPECT_EQ(r.stdout_data, "host content\nrefused\n");
  EXPECT_NE(::access((host_dir_ + "/new").c_str(), F_OK), 0);
}

TEST_F(MountInSandbox, WritableBindWritesThroughToTheHost) {
  Result r = sh("echo from-sandbox > /data/new", [&](Spec& s) {
    s.mounts.push_back({MountType::rw_bind, host_dir_, "/data", 0});
  });
  ASSERT_EQ(r.status, RunStatus::ok) << r.error << r.stderr_data;
  std::ifstream in(host_dir_ + "/new");
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "from-sandbox");
}

TEST_F(MountInSandbox, AFileCanBeBoundOverAnExistingFileOfAReadOnlyBind) {
  std::ofstream(host_dir_ + "/other") << "other content";
  Result r = sh("cat /data/file", [&](Spec& s) {
    s.mounts.push_back({MountType::ro_bind, host_dir_, "/data", 0});
    s.mounts.push_back({MountType::ro_bind, host_dir_ + "/other", "/data/file", 0});
  });
  ASSERT_EQ(r.status, RunStatus::ok) << r.error << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "other content");
}

TEST_F(MountInSandbox, RootAndSystemDirectoriesAreReadOnly) {
  Result r =
      sh("for p in /newfile /usr/newfile /etc/passwd /proc/sys/kernel/hostname; do "
         "(echo x > $p) 2>/dev/null && echo \"wrote $p\"; done; echo done");
  ASSERT_EQ(r.status, RunStatus::ok) << r.error;
  EXPECT_EQ(r.stdout_data, "done\n");
}

TEST_F(MountInSandbox, TmpfsSizeIsEnforced) {
  Result r = sh("head -c 2000000 /dev/zero > /small/f 2>/dev/null || echo full", [&](Spec& s) {
    s.mounts.push_back({MountType::tmpfs, "", "/small", 1 << 20});
  });
  ASSERT_EQ(r.status, RunStatus::ok) << r.error;
  EXPECT_EQ(r.stdout_data, "full\n");
}

TEST_F(MountInSandbox, DevIsMinimalAndSysIsMasked) {
  Result r = sh("ls /dev | tr '\\n' ' '; echo; ls -A /sys | wc -l");
  ASSERT_EQ(r.status, RunStatus::ok) << r.error;
  EXPECT_EQ(r.stdout_data, "fd full null random shm stderr stdin stdout tty urandom zero \n0\n");
}

// Masked by an unopenable node (a nodev bind of /dev/null): nothing of the host comes through.
TEST_F(MountInSandbox, HostDescribingProcFilesAreEmpty) {
  std::string script, expected;
  for (const char* name : {"kcore", "keys", "timer_list", "sched_debug", "kallsyms"}) {
    if (::access((std::string("/proc/") + name).c_str(), F_OK) != 0) continue;
    script += std::string("cat /proc/") + name + " 2>/dev/null | wc -c;";
    expected += "0\n";
  }
  if (script.empty()) GTEST_SKIP() << "this kernel has none of the masked /proc files";
  Result r = sh(script);
  ASSERT_EQ(r.status, RunStatus::ok) << r.error << r.stderr_data;
  EXPECT_EQ(r.stdout_data, expected);
}

TEST_F(MountInSandbox, SeesOnlyItsOwnIdentityFiles) {
  // uname (coreutils) rather than hostname, a package a minimal system may lack.
  Result r = sh("cat /etc/passwd; ls /etc/shadow 2>&1 >/dev/null | wc -l; uname -n");
  ASSERT_EQ(r.status, RunStatus::ok) << r.error;
  EXPECT_EQ(r.stdout_data, "sandbox:x:1000:1000:sandbox:/workspace:/bin/sh\n1\nagentbox\n");
}

}  // namespace
}  // namespace sandbox::testing
