// Move-only owner of a child process through its pidfd: the destructor kills and reaps it, so
// no error path can leave a stray process or a zombie behind.
#pragma once

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <utility>

#include "sandbox/base.h"

namespace sandbox {

class Process {
 public:
  Process() = default;
  Process(UniqueFd pidfd, pid_t pid) : pidfd_(std::move(pidfd)), pid_(pid) {}
  Process(Process&& other) noexcept
      : pidfd_(std::move(other.pidfd_)),
        pid_(std::exchange(other.pid_, -1)),
        reaped_(std::exchange(other.reaped_, true)) {}
  Process& operator=(Process&& other) noexcept {
    if (this != &other) {
      kill_and_reap();
      pidfd_ = std::move(other.pidfd_);
      pid_ = std::exchange(other.pid_, -1);
      reaped_ = std::exchange(other.reaped_, true);
    }
    return *this;
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() { kill_and_reap(); }

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  bool running() const { return pidfd_.valid() && !reaped_; }

  // Through the pidfd, so a recycled pid can never be hit.
  bool signal(int sig) const {
    return running() && ::syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0) == 0;
  }

  // Reaps the child if it has exited; nullopt while it still runs.
  std::optional<siginfo_t> try_reap() {
    if (!running()) return std::nullopt;
    siginfo_t info{};
    if (::waitid(static_cast<idtype_t>(P_PIDFD), pidfd_.get(), &info, WEXITED | WNOHANG) != 0 ||
        info.si_pid == 0)
      return std::nullopt;
    reaped_ = true;
    return info;
  }

 private:
  void kill_and_reap() noexcept {
    if (!running()) return;
    signal(SIGKILL);
    siginfo_t info{};
    while (::waitid(static_cast<idtype_t>(P_PIDFD), pidfd_.get(), &info, WEXITED) != 0 &&
           errno == EINTR) {
    }
    reaped_ = true;
  }

  UniqueFd pidfd_;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

}  // namespace sandbox
