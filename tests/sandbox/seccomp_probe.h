// Shared by the seccomp tests: run code in a forked child under a filter and compare what
// happened (exit status or killing signal) with what was expected.
#pragma once

#include <cerrno>
#include <csignal>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "sandbox/seccomp.h"

namespace sandbox::seccomp::testing {

struct Outcome {
  bool exited = false;
  int code = 0;        // exit status, or the signal that killed the child
  std::string output;  // what the child wrote to stdout

  bool operator==(const Outcome& other) const {
    return exited == other.exited && code == other.code;
  }
  friend std::ostream& operator<<(std::ostream& out, const Outcome& outcome);
};
inline Outcome Exited(int code) {
  return {true, code, {}};
}
inline Outcome Killed(int signal) {
  return {false, signal, {}};
}
inline const Outcome kSucceeded = Exited(0);
inline const Outcome kDeniedEperm = Exited(EPERM);
inline const Outcome kKilledBySigsys = Killed(SIGSYS);

inline const std::string kFixtures = AGENTD_FIXTURES_DIR "/seccomp";

// Forks; the child sets no_new_privs, loads `filter` (unless null), runs `body` and exits with
// its return value: by convention the errno a syscall failed with, 0 when it succeeded.
Outcome run_in_child(const Filter* filter, const std::function<int()>& body);

int errno_of(long rc);

// clone() with `flags`; a child that does get created leaves at once.
int clone_errno(unsigned long flags);
int clone3_errno();

#if defined(__x86_64__)
// getpid through the 32-bit ABI (i386 syscall 20); returns the kernel's answer.
long int80_getpid();
int x32_getpid_errno();
#endif

struct Probe {
  const char* what;
  std::function<int()> body;
  Outcome expected;
};

void expect_outcomes(const Filter& filter, const std::vector<Probe>& probes);

nlohmann::json read_json(const std::string& path);

}  // namespace sandbox::seccomp::testing
