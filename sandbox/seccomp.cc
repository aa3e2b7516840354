// Compiles a parsed Docker-format profile with libseccomp into classic BPF (in the parent), and
// loads that BPF in the child with one syscall.
#include "sandbox/seccomp.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "sandbox/base.h"
#include "sandbox/seccomp_profile.h"

namespace sandbox::seccomp {

// Generated from sandbox/profiles/default.json (see sandbox/CMakeLists.txt).
extern const char kDefaultProfileJson[];

namespace {

using detail::ArgCondition;
using detail::Profile;
using detail::SyscallRule;

// Profiles are a few kilobytes (Docker's default is 20 KB); anything near this is not one.
constexpr off_t kMaxProfileBytes = 4 << 20;

struct ContextRelease {
  void operator()(void* context) const { seccomp_release(context); }
};
using Context = std::unique_ptr<void, ContextRelease>;

std::string describe_errno(int error) {
  return std::strerror(error);
}

Status configure(const Context& context, const Profile& profile, std::string_view origin) {
  // We set no_new_privs ourselves, in the child, before loading (DESIGN.md step 4). A syscall
  // from an ABI the filter was not built for (32-bit x86, x32) kills the whole sandbox.
  const std::pair<scmp_filter_attr, std::uint32_t> attributes[] = {
      {SCMP_FLTATR_CTL_NNP, 0},
      {SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS},
      {SCMP_FLTATR_CTL_OPTIMIZE, 2},  // binary search over syscall numbers
  };
  for (const auto& [attribute, value] : attributes) {
    if (int rc = seccomp_attr_set(context.get(), attribute, value); rc < 0) {
      return Error{std::string(origin) + ": seccomp_attr_set(" + std::to_string(attribute) +
                   ") failed: " + describe_errno(-rc)};
    }
  }
  for (std::uint32_t arch : profile.extra_arches) {
    if (int rc = seccomp_arch_add(context.get(), arch); rc < 0 && rc != -EEXIST) {
      return Error{std::string(origin) + ": seccomp_arch_add(" + std::to_string(arch) +
                   ") failed: " + describe_errno(-rc)};
    }
  }
  return Ok{};
}

// The number to hand libseccomp, or -1 when no architecture in the filter has the syscall: such
// names are skipped, as Docker and runc do, so one profile serves every architecture.
int resolve_syscall(const std::string& name, const Profile& profile) {
  const int number = seccomp_syscall_resolve_name(name.c_str());
  if (number == __NR_SCMP_ERROR) return -1;
  if (number >= 0) return number;
  // A negative "pseudo" number: the native ABI lacks it, libseccomp maps it for the others.
  for (std::uint32_t arch : profile.extra_arches) {
    if (seccomp_syscall_resolve_name_arch(arch, name.c_str()) >= 0) return number;
  }
  return -1;
}

// libseccomp keeps an unconditional rule and silently drops conditional rules with another
// action for the same syscall, so a profile mixing them would not mean what it says.
class ConflictCheck {
 public:
  Status add(int number, const std::string& name, const SyscallRule& rule) {
    const bool unconditional = rule.alternatives.size() == 1 && rule.alternatives.front().empty();
    std::vector<Use>& uses = uses_[number];
    for (const Use& use : uses) {
      if (use.action == rule.action || (!use.unconditional && !unconditional)) continue;
      return Error{rule.json_path + ": \"" + name +
                   "\" also has a rule with a different action at " + use.json_path +
                   " and one of the two is unconditional, so libseccomp would drop the other; "
                   "expected one action, or conditional rules only"};
    }
    uses.push_back({rule.action, unconditional, rule.json_path});
    return Ok{};
  }

 private:
  struct Use {
    std::uint32_t action;
    bool unconditional;
    std::string json_path;
  };
  std::map<int, std::vector<Use>> uses_;
};

Status add_rule(const Context& context, const Profile& profile, const SyscallRule& rule,
                ConflictCheck& conflicts, std::string_view origin) {
  for (const std::string& name : rule.names) {
    const int number = resolve_syscall(name, profile);
    if (number == -1) continue;
    if (Status checked = conflicts.add(number, name, rule); !checked) {
      return Error{std::string(origin) + ": " + checked.error().message};
    }
    for (const std::vector<ArgCondition>& alternative : rule.alternatives) {
      std::vector<scmp_arg_cmp> comparisons;
      comparisons.reserve(alternative.size());
      for (const ArgCondition& condition : alternative) {
        comparisons.push_back({condition.index, static_cast<scmp_compare>(condition.op),
                               condition.value, condition.value_two});
      }
      const int rc =
          seccomp_rule_add_array(context.get(), rule.action, number,
                                 static_cast<unsigned>(comparisons.size()), comparisons.data());
      if (rc < 0) {
        return Error{std::string(origin) + ": " + rule.json_path +
                     ": libseccomp refused the rule for \"" + name + "\": " + describe_errno(-rc)};
      }
    }
  }
  return Ok{};
}

Expected<std::vector<sock_filter>> export_program(const Context& context, std::string_view origin) {
  const std::string where = std::string(origin) + ": exporting the compiled filter: ";
  UniqueFd memory{memfd_create("agentd-seccomp-export", MFD_CLOEXEC)};
  if (!memory) return Error{where + "memfd_create failed: " + describe_errno(errno)};
  if (int rc = seccomp_export_bpf(context.get(), memory.get()); rc < 0) {
    return Error{where + "seccomp_export_bpf failed: " + describe_errno(-rc)};
  }
  struct stat status {};
  if (fstat(memory.get(), &status) != 0)
    return Error{where + "fstat failed: " + describe_errno(errno)};
  const auto bytes = static_cast<std::size_t>(status.st_size);
  const std::size_t count = bytes / sizeof(sock_filter);
  if (bytes == 0 || bytes % sizeof(sock_filter) != 0) {
    return Error{where + "got " + std::to_string(bytes) +
                 " bytes; expected a non-empty multiple of " + std::to_string(sizeof(sock_filter))};
  }
  if (count > BPF_MAXINSNS) {
    return Error{where + "the filter has " + std::to_string(count) +
                 " instructions; the kernel accepts at most " + std::to_string(BPF_MAXINSNS)};
  }
  std::vector<sock_filter> program(count);
  auto* out = reinterpret_cast<char*>(program.data());
  for (std::size_t done = 0; done < bytes;) {
    const ssize_t got = pread(memory.get(), out + done, bytes - done, static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      return Error{where + "reading it back failed: " + describe_errno(got < 0 ? errno : EIO)};
    done += static_cast<std::size_t>(got);
  }
  return program;
}

Expected<FilterPtr> compile(std::string_view json_text, std::string_view origin, std::string name) {
  Expected<Profile> profile = detail::parse_docker_profile(json_text, origin);
  if (!profile) return profile.error();
  const Context context{seccomp_init(profile->default_action)};
  if (!context) return Error{std::string(origin) + ": seccomp_init failed (out of memory?)"};
  if (Status configured = configure(context, *profile, origin); !configured)
    return configured.error();
  ConflictCheck conflicts;
  for (const SyscallRule& rule : profile->rules) {
    // A rule that repeats the default action changes nothing (libseccomp refuses it).
    if (rule.action == profile->default_action) continue;
    if (Status added = add_rule(context, *profile, rule, conflicts, origin); !added)
      return added.error();
  }
  Expected<std::vector<sock_filter>> program = export_program(context, origin);
  if (!program) return program.error();
  return FilterPtr{
      std::make_shared<const Filter>(Filter{std::move(name), std::move(program).value()})};
}

std::string base_name(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Expected<FilterPtr> compile_docker_profile(std::string_view json_text, std::string_view origin) {
  return compile(json_text, origin, std::string(origin));
}

Expected<FilterPtr> load_profile_file(const std::string& path) {
  UniqueFd file{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!file) return Error{path + ": cannot open the seccomp profile: " + describe_errno(errno)};
  struct stat status {};
  if (fstat(file.get(), &status) != 0)
    return Error{path + ": fstat failed: " + describe_errno(errno)};
  if (!S_ISREG(status.st_mode) || status.st_size > kMaxProfileBytes) {
    return Error{path + ": expected a regular file of at most " + std::to_string(kMaxProfileBytes) +
                 " bytes"};
  }
  std::string text(static_cast<std::size_t>(status.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t got = read(file.get(), text.data() + done, text.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0)
      return Error{path + ": reading the seccomp profile failed: " + describe_errno(errno)};
    if (got == 0) break;  // the file shrank while we read it; parse what is there
    done += static_cast<std::size_t>(got);
  }
  text.resize(done);
  return compile(text, path, base_name(path));
}

FilterPtr builtin_default() {
  // A function-local static: compiled once, thread-safely, on first use.
  static const FilterPtr filter = [] {
    Expected<FilterPtr> compiled =
        compile(kDefaultProfileJson, "sandbox/profiles/default.json (built in)", "default");
    if (!compiled) {
      throw std::logic_error("the built-in seccomp profile does not compile: " +
                             compiled.error().message);
    }
    return std::move(compiled).value();
  }();
  return filter;
}

int child_install(const Filter& filter) noexcept {
  if (filter.program.empty() || filter.program.size() > BPF_MAXINSNS) return -EINVAL;
  sock_fprog program{static_cast<unsigned short>(filter.program.size()),
                     const_cast<sock_filter*>(filter.program.data())};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0) return 0;
  if (errno != ENOSYS) return -errno;
  // Kernels before 3.17 have no seccomp(2), only the prctl.
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) == 0) return 0;
  return -errno;
}

}  // namespace sandbox::seccomp
