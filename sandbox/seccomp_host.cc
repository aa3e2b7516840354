// The host as a Docker profile's includes/excludes see it: native architecture, the other ABIs
// its kernel runs, the kernel version, and no capabilities (the sandbox drops them all).
#include <seccomp.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>
#include <utility>

#include "sandbox/seccomp_profile.h"

namespace sandbox::seccomp::detail {
namespace {

bool kernel_at_least(const Host& host, const HostCriteria& criteria) {
  return std::pair(host.kernel_major, host.kernel_minor) >=
         std::pair(criteria.min_major, criteria.min_minor);
}

bool lists(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

Host this_host() {
  Host host;
  host.native_arch = seccomp_arch_native();
  switch (host.native_arch) {
    case SCMP_ARCH_X86_64:
      host.go_arch = "amd64";
      host.compat_arches = {SCMP_ARCH_X86, SCMP_ARCH_X32};
      break;
    case SCMP_ARCH_AARCH64:
      host.go_arch = "arm64";
      host.compat_arches = {SCMP_ARCH_ARM};
      break;
    case SCMP_ARCH_S390X:
      host.go_arch = "s390x";
      host.compat_arches = {SCMP_ARCH_S390};
      break;
    case SCMP_ARCH_RISCV64:
      host.go_arch = "riscv64";
      break;
    case SCMP_ARCH_PPC64LE:
      host.go_arch = "ppc64le";
      break;
    default:
      break;
  }
  utsname names{};
  if (uname(&names) == 0) {
    std::sscanf(names.release, "%u.%u", &host.kernel_major, &host.kernel_minor);
  }
  return host;
}

bool applies_here(const HostCriteria* includes, const HostCriteria* excludes, const Host& host) {
  if (includes != nullptr) {
    if (!includes->arches.empty() && !lists(includes->arches, host.go_arch)) return false;
    if (!includes->caps.empty()) return false;  // we hold none of them
    if (includes->has_min_kernel && !kernel_at_least(host, *includes)) return false;
  }
  if (excludes != nullptr) {
    if (!excludes->arches.empty() && lists(excludes->arches, host.go_arch)) return false;
    if (excludes->has_min_kernel && kernel_at_least(host, *excludes)) return false;
  }
  return true;
}

std::uint32_t arch_token(std::string_view scmp_arch_name) {
  constexpr std::string_view kPrefix = "SCMP_ARCH_";
  if (scmp_arch_name.substr(0, kPrefix.size()) != kPrefix) return 0;
  std::string lower(scmp_arch_name.substr(kPrefix.size()));
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return seccomp_arch_resolve_name(lower.c_str());
}

}  // namespace sandbox::seccomp::detail
