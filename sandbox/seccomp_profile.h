// Internal to the sandbox library: a Docker-format seccomp profile after parsing, as plain data
// for the libseccomp compiler in seccomp.cc. Public callers use sandbox/seccomp.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/base.h"

namespace sandbox::seccomp::detail {

// The comparison operators of Docker's format, in libseccomp's order (enum scmp_compare).
enum class CompareOp { kNe = 1, kLt, kLe, kEq, kGe, kGt, kMaskedEq };

// One argument comparison. For kMaskedEq, `value` is the mask and `value_two` the expected
// masked value, as in Docker's format and libseccomp's SCMP_CMP_MASKED_EQ.
struct ArgCondition {
  unsigned index = 0;
  CompareOp op = CompareOp::kEq;
  std::uint64_t value = 0;
  std::uint64_t value_two = 0;
};

// A syscalls[] entry that applies to this host (its includes/excludes already evaluated).
struct SyscallRule {
  std::vector<std::string> names;
  std::uint32_t action = 0;  // a libseccomp SCMP_ACT_* value
  // The entry's "args" as expand_conditions() returns them: the rule applies when every
  // comparison of any one alternative holds. One empty alternative: the rule is unconditional.
  std::vector<std::vector<ArgCondition>> alternatives;
  std::string json_path;  // "syscalls/3", for error messages
};

struct Profile {
  std::uint32_t default_action = 0;
  std::vector<std::uint32_t> extra_arches;  // SCMP_ARCH_* tokens beyond the native one
  std::vector<SyscallRule> rules;
};

// What the profile's includes/excludes look at (seccomp_host.cc).
struct Host {
  std::uint32_t native_arch = 0;
  std::string go_arch;  // Docker's name for it in includes/excludes "arches" (Go's GOARCH)
  std::vector<std::uint32_t> compat_arches;  // other ABIs this kernel runs (x86 and x32 on x86_64)
  unsigned kernel_major = 0;
  unsigned kernel_minor = 0;
};
Host this_host();

// An "includes" or "excludes" object of a syscalls[] entry.
struct HostCriteria {
  std::vector<std::string> caps;
  std::vector<std::string> arches;
  bool has_min_kernel = false;
  unsigned min_major = 0;
  unsigned min_minor = 0;
};

// Docker's rule: every "includes" criterion holds and no "excludes" one does, for a sandbox
// that holds no capabilities. Either may be null.
bool applies_here(const HostCriteria* includes, const HostCriteria* excludes, const Host& host);

// "SCMP_ARCH_X86_64" -> SCMP_ARCH_X86_64; 0 for a name libseccomp does not know.
std::uint32_t arch_token(std::string_view scmp_arch_name);

// Parses Docker's seccomp JSON for a sandbox on this host (native architecture, running
// kernel) that holds no capabilities. Errors read "<origin>: <json path>: <what was expected>".
Expected<Profile> parse_docker_profile(std::string_view json_text, std::string_view origin);

// libseccomp accepts one comparison per argument in a rule; Docker's format allows several on
// the same argument, which we read as all having to hold (as crun does; runc ORs them, which
// silently widens a rule). This rewrites `conditions` as alternatives (any may match), each
// with at most one comparison per argument; an empty list means the conditions can never hold.
// Comparisons are on the full 64-bit value, as libseccomp does on 64-bit architectures.
Expected<std::vector<std::vector<ArgCondition>>> expand_conditions(
    const std::vector<ArgCondition>& conditions);

// Whether `value` satisfies `condition`, as the compiled filter decides it; for tests.
bool condition_holds(const ArgCondition& condition, std::uint64_t value);

}  // namespace sandbox::seccomp::detail
