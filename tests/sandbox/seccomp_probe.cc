#include "tests/sandbox/seccomp_probe.h"

#include <asm/unistd.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

namespace sandbox::seccomp::testing {
namespace {

constexpr int kInstallFailed = 250;

}  // namespace

std::ostream& operator<<(std::ostream& out, const Outcome& outcome) {
  if (!outcome.exited) return out << "killed by " << strsignal(outcome.code);
  return out << "exited " << outcome.code << " (" << std::strerror(outcome.code) << ")";
}

Outcome run_in_child(const Filter* filter, const std::function<int()>& body) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Exited(-1);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(kInstallFailed);
    if (filter != nullptr && child_install(*filter) != 0) _exit(kInstallFailed);
    _exit(body());
  }
  close(out[1]);
  Outcome outcome;
  char buffer[4096];
  for (ssize_t got; (got = read(out[0], buffer, sizeof buffer)) > 0;)
    outcome.output.append(buffer, got);
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  outcome.exited = WIFEXITED(status);
  outcome.code = outcome.exited ? WEXITSTATUS(status) : WTERMSIG(status);
  return outcome;
}

int errno_of(long rc) {
  return rc == -1 ? errno : 0;
}

int clone_errno(unsigned long flags) {
  const long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid(static_cast<pid_t>(pid), nullptr, 0);
  return errno_of(pid);
}

int clone3_errno() {
  clone_args args{};
  args.exit_signal = SIGCHLD;
  const long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid(static_cast<pid_t>(pid), nullptr, 0);
  return errno_of(pid);
}

#if defined(__x86_64__)
long int80_getpid() {
  long result;
  asm volatile("int $0x80" : "=a"(result) : "a"(20L) : "r8", "r9", "r10", "r11", "memory");
  return result;
}
int x32_getpid_errno() {
  return errno_of(syscall(__X32_SYSCALL_BIT | __NR_getpid));
}
#endif

void expect_outcomes(const Filter& filter, const std::vector<Probe>& probes) {
  for (const Probe& probe : probes) {
    EXPECT_EQ(run_in_child(&filter, probe.body), probe.expected) << probe.what;
  }
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream file(path);
  EXPECT_TRUE(file.good()) << path;
  return nlohmann::json::parse(file, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/false);
}

}  // namespace sandbox::seccomp::testing
