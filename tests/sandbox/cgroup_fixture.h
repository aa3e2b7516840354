// Shared by the cgroup tests: a forked child that waits to be moved into a cgroup, and the
// fixture that skips where the kernel tests cannot run and creates uniquely named cgroups.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "sandbox/base.h"
#include "sandbox/cgroup.h"

namespace sandbox::cgroup::testing {

std::string slurp(const std::string& path);

// Empty when this machine can run the kernel tests; otherwise what is missing.
std::string missing_prerequisite();

// Controller ("" for cgroup2) -> the directory `pid` sits in, read from /proc/<pid>/cgroup.
std::map<std::string, std::string> cgroup_dirs_of(pid_t pid, Version version);

// A forked child that waits for go() before running `body` (so the test can move it into a
// cgroup first); `body` may write one line of report. Killed and reaped if the test does not.
class Child {
 public:
  explicit Child(const std::function<int(int report_fd)>& body = [](int) { return 0; });
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  void go() const;
  // One line from the child; empty if it died or said nothing within a minute.
  std::string read_line() const;
  // The child's wait status; a child still running after a minute is a failure (and killed).
  int wait();

 private:
  pid_t pid_ = -1;
  UniqueFd go_, report_;
};

class CgroupTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // Unique across the processes of several engineers running tests at once.
  static std::string unique_name(const std::string& what);

  Cgroup create(const Limits& limits, const std::string& what);

  // Moves the child in and returns the directories /proc/<pid>/cgroup now names.
  std::map<std::string, std::string> add(const Cgroup& cgroup, const Child& child);

  std::shared_ptr<Manager> manager_;
};

}  // namespace sandbox::cgroup::testing
