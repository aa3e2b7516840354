// Nothing of a run may outlive it: processes, cgroups, mounts, file descriptors.
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/sandbox/runner_fixture.h"

namespace sandbox::testing {
namespace {

using std::chrono::milliseconds;
namespace fs = std::filesystem;

size_t count_entries(const char* dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

size_t count_lines(const char* path) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// Children of every thread of this process: a leaked sandbox would be one.
std::string our_children() {
  std::string all;
  for (const auto& task : fs::directory_iterator("/proc/self/task")) {
    std::ifstream in(task.path() / "children");
    std::string line;
    std::getline(in, line);
    all += line;
  }
  return all;
}

// Sandbox cgroups this process created, in any hierarchy.
std::vector<std::string> our_cgroups() {
  std::vector<std::string> found;
  const std::string prefix = "sbx-" + std::to_string(::getpid()) + "-";
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(
           "/sys/fs/cgroup", fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_directory(ec) && it->path().filename().string().rfind(prefix, 0) == 0)
      found.push_back(it->path());
    if (it.depth() > 6) it.disable_recursion_pending();
  }
  return found;
}

TEST_F(SandboxTest, HundredsOfRunsLeaveNothingBehind) {
  // The OOM-killed runs below are Python's.
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/python3";
  const size_t fds_before = count_entries("/proc/self/fd");
  const size_t mounts_before = count_lines("/proc/self/mountinfo");
  struct Case {
    std::vector<std::string> argv;
    RunStatus expected;
    std::function<void(Spec&)> adjust;
  };
  const std::vector<Case> cases = {
      {{"/bin/true"}, RunStatus::ok, [](Spec&) {}},
      {{"/bin/sh", "-c", "exit 3"}, RunStatus::exit_nonzero, [](Spec&) {}},
      {{"/bin/sh", "-c", "sleep 5 & sleep 5"},
       RunStatus::timeout,
       [](Spec& s) { s.limits.wall_time = milliseconds(50); }},
      {{"/bin/sh", "-c", "yes"},
       RunStatus::output_limit,
       [](Spec& s) { s.limits.stdout_bytes = 100; }},
      {{"/no/such/program"}, RunStatus::setup_error, [](Spec&) {}},
      {{"/bin/true"},
       RunStatus::setup_error,
       [](Spec& s) {
         s.mounts.push_back({MountType::ro_bind, "/no/such", "/x", 0});
       }},
  };
  int memory_runs = 0;
  for (int i = 0; i < 300; ++i) {
    const Case& c = cases[i % cases.size()];
    Spec spec = default_spec(c.argv);
    c.adjust(spec);
    if (i % 50 == 0) {  // OOM kills are slow; a few are enough to show they clean up too
      spec = default_spec({"/usr/bin/python3", "-c", "x = bytearray(200 << 20)"});
      spec.limits.memory_bytes = 32ull << 20;
      ++memory_runs;
      EXPECT_EQ(runner_->run(std::move(spec)).status, RunStatus::memory_limit);
      continue;
    }
    Result r = runner_->run(std::move(spec));
    ASSERT_EQ(r.status, c.expected) << "run " << i << ": " << r.error;
  }
  EXPECT_GT(memory_runs, 0);
  EXPECT_EQ(count_entries("/proc/self/fd"), fds_before);
  EXPECT_EQ(count_lines("/proc/self/mountinfo"), mounts_before);
  EXPECT_EQ(our_children(), "");
  EXPECT_EQ(our_cgroups(), std::vector<std::string>{});
}

}  // namespace
}  // namespace sandbox::testing
