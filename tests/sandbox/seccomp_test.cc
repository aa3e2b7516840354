// seccomp profiles: strict parsing of Docker's format, and enforcement checked the only way that
// counts: a forked child loads the filter and tries the syscalls for real. The built-in default
// profile is in seccomp_default_profile_test.cc; the child-running helpers in seccomp_probe.h.
#include "sandbox/seccomp.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "sandbox/seccomp_profile.h"
#include "tests/sandbox/seccomp_probe.h"

namespace sandbox::seccomp::testing {
namespace {

// Compiles a test profile; a failure is recorded and gives null.
FilterPtr compile_test_profile(const std::string& json) {
  Expected<FilterPtr> filter = compile_docker_profile(json, "test.json");
  if (!filter) ADD_FAILURE() << filter.error().message;
  return filter ? *filter : nullptr;
}

const std::string kDockerProfile = AGENTD_FIXTURES_DIR "/docker-default-seccomp.json";

// ---- parsing -------------------------------------------------------------------------------

std::string error_for(const std::string& json) {
  Expected<FilterPtr> filter = compile_docker_profile(json, "test.json");
  return filter ? "(compiled)" : filter.error().message;
}

// A profile allowing everything but what `entries` (the text of syscalls[] without brackets,
// or a JSON list) say.
std::string with_entry(const std::string& entries) {
  const bool list = !entries.empty() && entries.front() == '[';
  return R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": )" +
         (list ? entries : "[" + entries + "]") + "}";
}

TEST(SeccompProfile, ParseErrorsNameTheOriginTheJsonPathAndWhatWasExpected) {
  // Each case: a profile ("text" as is, "profile" as JSON, or "entries" as its syscalls[]) and
  // the start of the error it must give.
  for (const nlohmann::json& c : read_json(kFixtures + "/parse-errors.json")) {
    const std::string text = c.contains("text")      ? c["text"].get<std::string>()
                             : c.contains("profile") ? c["profile"].dump()
                                                     : with_entry(c["entries"].dump());
    const std::string message = error_for(text);
    const std::string expected = c["error"];
    EXPECT_NE(message.find(expected), std::string::npos)
        << "profile: " << text << "\nmessage: " << message << "\nexpected: " << expected;
    EXPECT_EQ(message.rfind("test.json: ", 0), 0u) << message;
  }
}

TEST(SeccompProfile, AcceptsUnknownSyscallNamesNullsLegacyKeysAndForeignArchitectures) {
  // Names this architecture lacks are skipped, as Docker and runc do; null reads as absent.
  EXPECT_EQ(
      error_for(
          R"({"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SCMP_ARCH_LOONGARCH64", "subArchitectures": null}], "syscalls": [{"names": ["getpid", "no_such_syscall", "chown32", "arm_fadvise64_64"], "action": "SCMP_ACT_ALLOW", "args": null, "comment": "ok"}]})"),
      "(compiled)");
  EXPECT_EQ(
      error_for(
          R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_PPC"], "syscalls": [{"name": "getpid", "action": "SCMP_ACT_ALLOW"}]})"),
      "(compiled)");
}

TEST(SeccompProfile, FileErrorsNameThePath) {
  const std::string missing = kFixtures + "/no-such-profile.json";
  Expected<FilterPtr> filter = load_profile_file(missing);
  ASSERT_FALSE(filter.ok());
  EXPECT_NE(
      filter.error().message.find(missing + ": cannot open the seccomp profile: No such file"),
      std::string::npos)
      << filter.error().message;
  filter = load_profile_file(kFixtures + "/unknown-action.json");
  ASSERT_FALSE(filter.ok());
  EXPECT_NE(
      filter.error().message.find(
          kFixtures + "/unknown-action.json: syscalls/1/action: unknown action \"SCMP_ACT_DENY\""),
      std::string::npos)
      << filter.error().message;
}

TEST(SeccompProfile, SameArgumentComparisonsAllHoldAfterExpansion) {
  using detail::ArgCondition;
  using detail::CompareOp;
  constexpr std::uint64_t kMax = ~std::uint64_t{0};
  const std::vector<std::vector<ArgCondition>> cases = {
      {{1, CompareOp::kLe, 0xffffffff}, {1, CompareOp::kNe, 0x5412}, {1, CompareOp::kNe, 0x541c}},
      {{0, CompareOp::kGe, 10}, {0, CompareOp::kLe, 20}, {0, CompareOp::kNe, 15}},
      {{0, CompareOp::kGt, 5}, {0, CompareOp::kLt, 6}},
      {{0, CompareOp::kNe, 0},
       {0, CompareOp::kNe, kMax},
       {2, CompareOp::kLt, 3},
       {2, CompareOp::kGt, 0}},
      {{0, CompareOp::kMaskedEq, 0xf0, 0x10}, {0, CompareOp::kMaskedEq, 0x0f, 0x01}},
      {{0, CompareOp::kMaskedEq, 0xf0, 0x10}, {0, CompareOp::kMaskedEq, 0xf0, 0x20}},
      {{3, CompareOp::kGt, 1000}, {3, CompareOp::kLt, 0x123456789}, {4, CompareOp::kEq, 7}},
  };
  std::mt19937_64 random(42);
  for (const auto& conditions : cases) {
    auto alternatives = detail::expand_conditions(conditions);
    ASSERT_TRUE(alternatives.ok()) << alternatives.error().message;
    std::vector<std::uint64_t> samples = {0, 1, kMax, kMax - 1, 0x80000000, 0xffffffff80000000};
    for (const ArgCondition& condition : conditions) {
      for (std::uint64_t v : {condition.value, condition.value_two}) {
        samples.insert(samples.end(), {v - 1, v, v + 1});
      }
    }
    for (int i = 0; i < 2000; ++i) samples.push_back(i % 2 ? random() : random() & 0xffffffffff);
    for (std::uint64_t value : samples) {
      auto holds = [&](const std::vector<ArgCondition>& all) {
        return std::all_of(all.begin(), all.end(), [&](const ArgCondition& c) {
          return detail::condition_holds(c, value);
        });
      };
      const bool any = std::any_of(alternatives->begin(), alternatives->end(), holds);
      EXPECT_EQ(any, holds(conditions))
          << "value " << value << ", case " << &conditions - &cases[0];
    }
    for (const auto& alternative : *alternatives) {
      for (std::size_t i = 0; i < alternative.size(); ++i) {
        for (std::size_t j = i + 1; j < alternative.size(); ++j) {
          EXPECT_NE(alternative[i].index, alternative[j].index) << "one comparison per argument";
        }
      }
    }
  }
  // Ranges that would compile into an unreasonable filter are refused, not truncated.
  std::vector<ArgCondition> wide;
  for (unsigned index : {0u, 1u}) {
    wide.push_back({index, CompareOp::kGt, 0x1234567});
    wide.push_back({index, CompareOp::kLt, 0x0fedcba987654321});
  }
  EXPECT_FALSE(detail::expand_conditions(wide).ok());
}

// ---- what each action and condition does, enforced ------------------------------------------

TEST(SeccompProfile, ActionsAreEnforcedAsNamed) {
  const std::pair<std::string, Outcome> cases[] = {
      {R"("action": "SCMP_ACT_ERRNO", "errnoRet": 42)", Exited(42)},
      {R"("action": "SCMP_ACT_ERRNO")", kDeniedEperm},
      {R"("action": "SCMP_ACT_KILL")", kKilledBySigsys},
      {R"("action": "SCMP_ACT_KILL_THREAD")", kKilledBySigsys},
      {R"("action": "SCMP_ACT_KILL_PROCESS")", kKilledBySigsys},
      {R"("action": "SCMP_ACT_TRAP")", kKilledBySigsys},
      {R"("action": "SCMP_ACT_TRACE")", Exited(ENOSYS)},  // no tracer attached
      {R"("action": "SCMP_ACT_LOG")", kSucceeded},
  };
  for (const auto& [action, expected] : cases) {
    FilterPtr filter =
        compile_test_profile(with_entry(R"({"names": ["getppid"], )" + action + "}"));
    ASSERT_NE(filter, nullptr);
    EXPECT_EQ(run_in_child(filter.get(), [] { return errno_of(syscall(SYS_getppid)); }), expected)
        << action;
  }
}

TEST(SeccompProfile, ArgumentComparisonsAreOnTheFull64BitValue) {
  const std::uint64_t values[] = {
      0, 1, 9, 10, 15, 20, 21, 0x5412, 0xffffffff, 1ull << 32, (1ull << 32) + 15, ~0ull};
  // The comparisons of one rule, and per value above whether the rule matches ('m').
  const std::pair<std::string, std::string> cases[] = {
      {R"({"index": 0, "value": 15, "op": "SCMP_CMP_NE"})", "mmmm.mmmmmmm"},
      {R"({"index": 0, "value": 15, "op": "SCMP_CMP_LT"})", "mmmm........"},
      {R"({"index": 0, "value": 15, "op": "SCMP_CMP_LE"})", "mmmmm......."},
      {R"({"index": 0, "value": 15, "op": "SCMP_CMP_EQ"})", "....m......."},
      {R"({"index": 0, "value": 15, "op": "SCMP_CMP_GE"})", "....mmmmmmmm"},
      {R"({"index": 0, "value": 15, "op": "SCMP_CMP_GT"})", ".....mmmmmmm"},
      {R"({"index": 0, "value": 4294967295, "valueTwo": 15, "op": "SCMP_CMP_MASKED_EQ"})",
       "....m.....m."},
      // Several comparisons on one argument must all hold.
      {R"({"index": 0, "value": 10, "op": "SCMP_CMP_GE"}, {"index": 0, "value": 20, "op": "SCMP_CMP_LE"},
          {"index": 0, "value": 15, "op": "SCMP_CMP_NE"})",
       "...m.m......"},
      {R"({"index": 0, "value": 4294967295, "op": "SCMP_CMP_LE"},
          {"index": 0, "value": 21522, "op": "SCMP_CMP_NE"})",
       "mmmmmmm.m..."},
  };
  for (const auto& [args, expected] : cases) {
    FilterPtr filter = compile_test_profile(with_entry(
        R"({"names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 99, "args": [)" + args +
        "]}"));
    ASSERT_NE(filter, nullptr);
    const Outcome outcome = run_in_child(filter.get(), [&] {
      std::string matched;
      for (std::uint64_t value : values) {
        matched += syscall(SYS_getpgid, value) == -1 && errno == 99 ? 'm' : '.';
      }
      return write(STDOUT_FILENO, matched.data(), matched.size()) > 0 ? 0 : 1;
    });
    EXPECT_EQ(outcome, kSucceeded) << args;
    EXPECT_EQ(outcome.output, expected) << args;
  }
}

TEST(SeccompProfile, IncludesAndExcludesAreEvaluatedForNoCapabilitiesOnThisHost) {
  // Each entry gives its syscall its own errno, so the child can tell which ones applied.
  FilterPtr filter = compile_test_profile(with_entry(R"(
      {"names": ["getsid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 91, "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 92, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 93, "includes": {"minKernel": "999.0"}},
      {"names": ["getuid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 94, "includes": {"minKernel": "3.0"}},
      {"names": ["getegid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95, "excludes": {"minKernel": "3.0"}},
      {"names": ["getgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 96, "includes": {"arches": ["amd64", "arm64"]}},
      {"names": ["geteuid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97, "excludes": {"arches": ["amd64", "arm64"]}},
      {"names": ["gettid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 98, "includes": {"arches": ["s390x"]}})"));
  ASSERT_NE(filter, nullptr);
  const std::pair<long, Outcome> cases[] = {
      {SYS_getsid, kSucceeded},  {SYS_getpgid, Exited(92)}, {SYS_getppid, kSucceeded},
      {SYS_getuid, Exited(94)},  {SYS_getegid, kSucceeded}, {SYS_getgid, Exited(96)},
      {SYS_geteuid, kSucceeded}, {SYS_gettid, kSucceeded},
  };
  for (const auto& [number, expected] : cases) {
    EXPECT_EQ(
        run_in_child(filter.get(), [number = number] { return errno_of(syscall(number, 0)); }),
        expected)
        << "syscall " << number;
  }
}

TEST(SeccompProfile, ProfileFilesCompileUnderTheirFileName) {
  Expected<FilterPtr> filter = load_profile_file(kFixtures + "/deny-getppid.json");
  ASSERT_TRUE(filter.ok()) << filter.error().message;
  EXPECT_EQ((*filter)->name, "deny-getppid.json");
  EXPECT_EQ(run_in_child(filter->get(), [] { return errno_of(syscall(SYS_getppid)); }),
            Exited(EACCES));
  EXPECT_EQ(run_in_child(filter->get(), [] { return errno_of(syscall(SYS_getpid)); }), kSucceeded);
}

TEST(SeccompInstall, RefusesAnEmptyProgram) {
  EXPECT_EQ(child_install(Filter{"empty", {}}), -EINVAL);
}

// ---- Docker's own default profile ------------------------------------------------------------

TEST(SeccompDockerProfile, LoadsUnchangedAndIsEnforced) {
  Expected<FilterPtr> filter = load_profile_file(kDockerProfile);
  ASSERT_TRUE(filter.ok()) << filter.error().message;
  EXPECT_EQ((*filter)->name, "docker-default-seccomp.json");
  expect_outcomes(
      **filter,
      {
          {"getpid", [] { return errno_of(syscall(SYS_getpid)); }, kSucceeded},
          {"unshare(CLONE_NEWUSER)", [] { return errno_of(unshare(CLONE_NEWUSER)); }, kDeniedEperm},
          {"mount",
           [] { return errno_of(mount("none", "/nonexistent-agentd", "tmpfs", 0, nullptr)); },
           kDeniedEperm},
          {"clone3", clone3_errno, Exited(ENOSYS)},
          {"clone(CLONE_NEWNET)", [] { return clone_errno(CLONE_NEWNET); }, kDeniedEperm},
          {"clone without namespace flags", [] { return clone_errno(0); }, kSucceeded},
          {"personality(ADDR_NO_RANDOMIZE)",
           [] { return errno_of(personality(ADDR_NO_RANDOMIZE)); }, kDeniedEperm},
          {"personality(0xffffffff)", [] { return errno_of(personality(0xffffffff)); }, kSucceeded},
          {"socket(AF_VSOCK)",
           [] { return errno_of(syscall(SYS_socket, AF_VSOCK, SOCK_STREAM, 0)); }, kDeniedEperm},
          // Docker allows ptrace from kernel 4.8 (includes.minKernel): it reaches the kernel.
          {"ptrace on a missing pid",
           [] { return errno_of(ptrace(PTRACE_ATTACH, 0x7ffffff0, 0, 0)); }, Exited(ESRCH)},
      });
#if defined(__x86_64__)
  // Its archMap adds the x86 and x32 sub-architectures, so their syscalls pass the filter and
  // the kernel's own answer comes back unchanged. That answer depends on the kernel (IA32
  // emulation and x32 may be compiled out or disabled, and int $0x80 then faults or gives
  // ENOSYS), so it is probed first in a child without a filter.
  const auto int80_matches_getpid = [] { return int80_getpid() == getpid() ? 0 : 1; };
  const Outcome x32_unfiltered = run_in_child(nullptr, x32_getpid_errno);
  const Outcome int80_unfiltered = run_in_child(nullptr, int80_matches_getpid);
  EXPECT_EQ(run_in_child(filter->get(), x32_getpid_errno), x32_unfiltered)
      << "x32 getpid; unfiltered it " << x32_unfiltered;
  EXPECT_EQ(run_in_child(filter->get(), int80_matches_getpid), int80_unfiltered)
      << "int $0x80 getpid; unfiltered it " << int80_unfiltered;
#endif
}

}  // namespace
}  // namespace sandbox::seccomp::testing
