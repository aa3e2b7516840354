#include "sandbox/spawn.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <sstream>

#include "sandbox/base.h"
#include "sandbox/user.h"

namespace sandbox {
namespace {

bool has_nul(const std::string& s) {
  return s.find('\0') != std::string::npos;
}

Status check_strings(const Spec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) return Error{"argv: expected a command"};
  for (const auto& arg : spec.argv)
    if (has_nul(arg)) return Error{"argv: an argument contains a NUL byte"};
  for (const auto& entry : spec.env) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0 || has_nul(entry))
      return Error{"env: \"" + entry + "\" is not KEY=VALUE"};
  }
  if (spec.workdir.empty() || spec.workdir[0] != '/' || has_nul(spec.workdir))
    return Error{"workdir: \"" + spec.workdir + "\" is not an absolute path"};
  if (spec.hostname.empty() || spec.hostname.size() > 64 || has_nul(spec.hostname))
    return Error{"hostname: expected 1 to 64 characters"};
  return Ok{};
}

// argv[0] as execvp would find it, but against the sandbox's PATH.
std::vector<std::string> exec_candidates(const Spec& spec) {
  const std::string& program = spec.argv[0];
  if (program.find('/') != std::string::npos) return {program};
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& entry : spec.env)
    if (entry.rfind("PATH=", 0) == 0) path = entry.substr(5);
  std::vector<std::string> candidates;
  std::stringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty()) candidates.push_back(dir + "/" + program);
  return candidates;
}

std::vector<contain::Rlimit> rlimits_for(const Limits& limits) {
  auto both = [](uint64_t v) { return rlimit{static_cast<rlim_t>(v), static_cast<rlim_t>(v)}; };
  std::vector<contain::Rlimit> out = {
      {RLIMIT_CORE, both(0)},
      {RLIMIT_FSIZE, both(limits.file_size_bytes)},
      {RLIMIT_NOFILE, both(limits.open_files)},
  };
  // Each sandbox has its own host uid, so the per-user process count backs up the pids cgroup.
  if (limits.pids) out.push_back({RLIMIT_NPROC, both(limits.pids)});
  if (limits.cpu_time.count() > 0) {
    // SIGXCPU at the soft limit, SIGKILL a second later; the runner also watches the cgroup's
    // total, which counts every process of the sandbox, not just each one alone.
    const rlim_t seconds = static_cast<rlim_t>((limits.cpu_time.count() + 999) / 1000);
    out.push_back({RLIMIT_CPU, {seconds, seconds + 1}});
  }
  return out;
}

UniqueFd stdin_memfd(const std::string& data) {
  UniqueFd fd(::memfd_create("agentbox-stdin", MFD_CLOEXEC));
  if (!fd) return fd;
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd.get(), data.data() + written, data.size() - written);
    if (n <= 0) return UniqueFd();
    written += static_cast<size_t>(n);
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) return UniqueFd();
  return fd;
}

}  // namespace

Expected<Prepared> parent_prepare(const Spec& spec) {
  if (auto s = check_strings(spec); !s) return s.error();
  if (spec.limits.open_files < 8) return Error{"limits.open_files: expected at least 8"};
  auto mounts = mount::parent_build_plan(spec);
  if (!mounts) return mounts.error();
  Prepared p;
  p.mounts = std::move(mounts.value());
  p.strings = spec.argv;
  p.strings.insert(p.strings.end(), spec.env.begin(), spec.env.end());
  for (auto& candidate : exec_candidates(spec)) p.strings.push_back(std::move(candidate));
  // `strings` is complete: pointers into it stay valid from here on.
  const size_t argc = spec.argv.size(), envc = spec.env.size();
  for (size_t i = 0; i < argc; ++i) p.argv.push_back(p.strings[i].data());
  for (size_t i = argc; i < argc + envc; ++i) p.envp.push_back(p.strings[i].data());
  for (size_t i = argc + envc; i < p.strings.size(); ++i)
    p.exec_paths.push_back(p.strings[i].c_str());
  p.argv.push_back(nullptr);
  p.envp.push_back(nullptr);
  p.rlimits = rlimits_for(spec.limits);
  if (!spec.seccomp.disabled)
    p.seccomp = spec.seccomp.filter ? spec.seccomp.filter : seccomp::builtin_default();
  p.hostname = spec.hostname;
  p.workdir = spec.workdir;
  p.new_network = spec.network == NetworkMode::none;
  if (spec.channel) {
    if (!spec.channel->valid()) return Error{"channel: expected an open descriptor"};
    p.channel_fd = spec.channel->get();
  }
  return p;
}

Expected<Spawned> parent_spawn(const Prepared& prepared, const std::string& stdin_data,
                               const cgroup::Cgroup& cgroup, uint32_t host_id) {
  int sync[2], out[2], err[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) != 0)
    return Error{"socketpair: " + errno_text(errno)};
  UniqueFd parent_sync(sync[0]), child_sync(sync[1]);
  if (::pipe2(out, O_CLOEXEC | O_NONBLOCK) != 0) return Error{"pipe2: " + errno_text(errno)};
  UniqueFd out_read(out[0]), out_write(out[1]);
  if (::pipe2(err, O_CLOEXEC | O_NONBLOCK) != 0) return Error{"pipe2: " + errno_text(errno)};
  UniqueFd err_read(err[0]), err_write(err[1]);
  // The child's ends block: programs expect ordinary blocking stdout.
  ::fcntl(out_write.get(), F_SETFL, 0);
  ::fcntl(err_write.get(), F_SETFL, 0);
  UniqueFd input = stdin_memfd(stdin_data);
  if (!input) return Error{"stdin memfd: " + errno_text(errno)};

  contain::ChildPlan plan;
  plan.sync_fd = child_sync.get();
  plan.stdin_fd = input.get();
  plan.stdout_fd = out_write.get();
  plan.stderr_fd = err_write.get();
  plan.channel_fd = prepared.channel_fd;
  plan.loopback = prepared.new_network;
  plan.hostname = prepared.hostname.c_str();
  plan.mounts = &prepared.mounts;
  plan.workdir = prepared.workdir.c_str();
  plan.rlimits = prepared.rlimits.data();
  plan.rlimit_count = prepared.rlimits.size();
  plan.seccomp = prepared.seccomp.get();
  plan.argv = prepared.argv.data();
  plan.envp = prepared.envp.data();
  plan.exec_paths = prepared.exec_paths.data();
  plan.exec_path_count = prepared.exec_paths.size();

  clone_args args{};
  int pidfd = -1;
  args.flags = CLONE_PIDFD | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC |
               CLONE_NEWUTS | (prepared.new_network ? CLONE_NEWNET : 0);
  if (cgroup.clone_into_fd() >= 0) {
    // v2: born inside its cgroup, with the cgroup namespace rooted there.
    args.flags |= CLONE_INTO_CGROUP | CLONE_NEWCGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup.clone_into_fd());
  } else {
    plan.wait_for_cgroup = true;
  }
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  const long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) return Error{"clone3: " + errno_text(errno)};
  if (pid == 0) {
    ::close(parent_sync.get());  // so the child sees EOF if the parent dies
    contain::child_main(plan);
  }
  Spawned spawned{Process(UniqueFd(pidfd), static_cast<pid_t>(pid)), plan.wait_for_cgroup,
                  std::move(parent_sync), std::move(out_read), std::move(err_read)};
  if (auto s = user::parent_write_id_maps(spawned.process.pid(), host_id); !s) return s.error();
  const char go = 1;
  if (::send(spawned.sync.get(), &go, 1, MSG_NOSIGNAL) != 1)
    return Error{"release child: " + errno_text(errno)};
  return spawned;
}

Status parent_place_in_cgroup(const Spawned& spawned, const cgroup::Cgroup& cgroup) {
  if (auto s = cgroup.add(spawned.process.pid()); !s) return s;
  const char go = 1;
  if (::send(spawned.sync.get(), &go, 1, MSG_NOSIGNAL) != 1)
    return Error{"release child after cgroup placement: " + errno_text(errno)};
  return Ok{};
}

std::string describe_child_error(const contain::ChildError& error, const Prepared& prepared) {
  std::string what(contain::describe(error.step));
  if (error.step == contain::Step::mounts) {
    what = mount::describe_root_step(error.mount_step);
    if (error.mount_op >= 0 &&
        static_cast<size_t>(error.mount_op) < prepared.mounts.descriptions.size())
      what += ": " + prepared.mounts.descriptions[error.mount_op];
  } else if (error.step == contain::Step::open_bind_sources && error.mount_op >= 0 &&
             static_cast<size_t>(error.mount_op) < prepared.mounts.bind_sources.size()) {
    what += " " + std::string(prepared.mounts.bind_sources[error.mount_op].host_path);
  } else if (error.step == contain::Step::execve && !prepared.exec_paths.empty()) {
    what += " " + std::string(prepared.argv[0]);
  }
  return what + ": " + errno_text(error.error);
}

}  // namespace sandbox
