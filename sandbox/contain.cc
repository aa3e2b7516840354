#include "sandbox/contain.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "sandbox/net.h"
#include "sandbox/user.h"

namespace sandbox::contain {
namespace {

[[noreturn]] void fail(int report_fd, Step step, int err, int mount_step = -1,
                       int mount_op = -1) noexcept {
  const ChildError record{step, err < 0 ? -err : err, mount_step, mount_op};
  // Best effort: if the parent is gone, nobody needs to know.
  [[maybe_unused]] ssize_t n = ::send(report_fd, &record, sizeof record, MSG_NOSIGNAL);
  ::_exit(127);
}

// Moves stdin/stdout/stderr to 0/1/2, the sync socket to 3 (close-on-exec) and the channel, if
// any, to kChannelFd, then closes every other inherited descriptor. Sources are first lifted
// above them so no dup2 clobbers another.
int setup_file_descriptors(const ChildPlan& plan) noexcept {
  const int sources[] = {plan.stdin_fd, plan.stdout_fd, plan.stderr_fd, plan.sync_fd,
                         plan.channel_fd};
  const int count = plan.channel_fd >= 0 ? 5 : 4;
  int lifted[5];
  for (int i = 0; i < count; ++i) {
    lifted[i] = ::fcntl(sources[i], F_DUPFD_CLOEXEC, 10);
    if (lifted[i] < 0) return -errno;
  }
  for (int i = 0; i < 3; ++i)
    if (::dup2(lifted[i], i) < 0) return -errno;
  if (::dup3(lifted[3], 3, O_CLOEXEC) < 0) return -errno;
  if (count == 5 && ::dup2(lifted[4], kChannelFd) < 0) return -errno;
  return ::close_range(count == 5 ? kChannelFd + 1 : 4, ~0U, 0) == 0 ? 0 : -errno;
}

int set_rlimits(const ChildPlan& plan) noexcept {
  for (size_t i = 0; i < plan.rlimit_count; ++i)
    if (::setrlimit(static_cast<__rlimit_resource>(plan.rlimits[i].resource),
                    &plan.rlimits[i].value) != 0)
      return -errno;
  return 0;
}

// Empties the bounding, ambient, permitted, effective and inheritable sets, and locks the
// securebits so nothing (not even a uid 0 inside) can bring a capability back.
int drop_capabilities() noexcept {
  if (::prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_NOROOT |
                                     SECBIT_NOROOT_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                                     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) != 0)
    return -errno;
  for (int cap = 0; cap <= 63; ++cap)
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return -errno;
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) return -errno;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  return ::syscall(SYS_capset, &header, data) == 0 ? 0 : -errno;
}

// Sets this user namespace's own limit on nested user namespaces to zero (the sysctl is per
// user namespace and applies to the writer's), so even with seccomp off nothing inside can
// create one. Done through the host's /proc while it is still mounted, before pivot_root.
int forbid_nested_user_namespaces() noexcept {
  const int fd = ::open("/proc/sys/user/max_user_namespaces", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  const bool ok = ::write(fd, "0", 1) == 1;
  const int err = errno;
  ::close(fd);
  return ok ? 0 : -err;
}

// Tries each PATH candidate like execvp, but with the sandbox's PATH rather than ours.
int exec_program(const ChildPlan& plan) noexcept {
  int err = ENOENT;
  for (size_t i = 0; i < plan.exec_path_count; ++i) {
    ::execve(plan.exec_paths[i], plan.argv, plan.envp);
    if (errno != ENOENT && errno != ENOTDIR) err = errno;
  }
  return -err;
}

// The sandbox's pid 1 once the program runs: holds nothing open but the sync socket, reaps
// every child, and when the program itself ends sends its wait status and exits, which takes
// the rest of the pid namespace down with it.
[[noreturn]] void run_init(int report_fd, pid_t program) noexcept {
  ::close(0);
  ::close(1);
  ::close(2);
  ::close(kChannelFd);  // the program's alone: its peer must see EOF when the program is gone
  for (;;) {
    int status = 0;
    const pid_t reaped = ::waitpid(-1, &status, 0);
    if (reaped == program) {
      const ChildError ended{Step::program_ended, status, -1, -1};
      [[maybe_unused]] ssize_t n = ::send(report_fd, &ended, sizeof ended, MSG_NOSIGNAL);
      ::_exit(0);
    }
    if (reaped < 0 && errno != EINTR) ::_exit(127);
  }
}

}  // namespace

std::string_view describe(Step step) {
  switch (step) {
    case Step::wait_for_parent:
      return "wait for parent";
    case Step::open_bind_sources:
      return "open bind source";
    case Step::wait_for_cgroup:
      return "wait for cgroup placement";
    case Step::cgroup_namespace:
      return "unshare cgroup namespace";
    case Step::user:
      return "switch to sandbox user";
    case Step::parent_death_signal:
      return "set parent death signal";
    case Step::nested_user_namespaces:
      return "forbid nested user namespaces";
    case Step::hostname:
      return "sethostname";
    case Step::loopback:
      return "bring up lo";
    case Step::mounts:
      return "mount";
    case Step::workdir:
      return "chdir to working directory";
    case Step::file_descriptors:
      return "set up file descriptors";
    case Step::rlimits:
      return "setrlimit";
    case Step::setsid:
      return "setsid";
    case Step::no_new_privs:
      return "PR_SET_NO_NEW_PRIVS";
    case Step::capabilities:
      return "drop capabilities";
    case Step::seccomp:
      return "load seccomp filter";
    case Step::start_program:
      return "start program";
    case Step::execve:
      return "execve";
    case Step::program_ended:
      return "program ended";
  }
  return "unknown step";
}

// The containment order of DESIGN.md, one step per line; each step runs only if the one before
// it succeeded.
void child_main(const ChildPlan& plan) noexcept {
  int report_fd = plan.sync_fd;
  char go = 0;
  if (::read(plan.sync_fd, &go, 1) != 1) ::_exit(127);  // the parent gave up on us
  // Still with the caller's credentials, so sources under directories only it may search work.
  int failed_source = -1;
  if (int err = mount::child_open_bind_sources(*plan.mounts, &failed_source); err)
    fail(report_fd, Step::open_bind_sources, err, -1, failed_source);
  if (int err = user::child_become_sandbox_user(); err) fail(report_fd, Step::user, err);
  // Set after the id change, which would clear it; then make sure the parent did not die first.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(report_fd, Step::parent_death_signal, -errno);
  if (::recv(plan.sync_fd, &go, 1, MSG_PEEK | MSG_DONTWAIT) == 0) ::_exit(127);
  if (int err = forbid_nested_user_namespaces(); err)
    fail(report_fd, Step::nested_user_namespaces, err);
  if (::sethostname(plan.hostname, std::char_traits<char>::length(plan.hostname)) != 0)
    fail(report_fd, Step::hostname, -errno);
  if (plan.loopback) {
    if (int err = net::child_bring_up_loopback(); err) fail(report_fd, Step::loopback, err);
  }
  int mount_step = -1, mount_op = -1;
  if (int err = mount::child_build_root(*plan.mounts, &mount_step, &mount_op); err)
    fail(report_fd, Step::mounts, err, mount_step, mount_op);
  if (::chdir(plan.workdir) != 0) fail(report_fd, Step::workdir, -errno);
  if (plan.wait_for_cgroup) {
    if (::read(plan.sync_fd, &go, 1) != 1) ::_exit(127);
    if (::unshare(CLONE_NEWCGROUP) != 0) fail(report_fd, Step::cgroup_namespace, -errno);
  }
  if (int err = setup_file_descriptors(plan); err) fail(report_fd, Step::file_descriptors, err);
  report_fd = 3;
  if (int err = set_rlimits(plan); err) fail(report_fd, Step::rlimits, err);
  if (::setsid() < 0) fail(report_fd, Step::setsid, -errno);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(report_fd, Step::no_new_privs, -errno);
  if (int err = drop_capabilities(); err) fail(report_fd, Step::capabilities, err);
  if (plan.seccomp) {
    if (int err = seccomp::child_install(*plan.seccomp); err) fail(report_fd, Step::seccomp, err);
  }
  // A raw clone: glibc's fork would run atfork handlers and take locks the parent's other
  // threads may have held at clone3 time.
  const long program = ::syscall(SYS_clone, SIGCHLD, 0, nullptr, nullptr, 0);
  if (program < 0) fail(report_fd, Step::start_program, -errno);
  if (program == 0) fail(report_fd, Step::execve, exec_program(plan));
  run_init(report_fd, static_cast<pid_t>(program));
}

}  // namespace sandbox::contain
