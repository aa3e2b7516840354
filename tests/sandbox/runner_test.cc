#include "sandbox/runner.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/sandbox/runner_fixture.h"

namespace sandbox::testing {
namespace {

using std::chrono::milliseconds;

TEST_F(SandboxTest, RunsAProgramAndCapturesItsOutput) {
  Result r = sh("echo out; echo err >&2; exit 0");
  ASSERT_EQ(r.status, RunStatus::ok) << r.error;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data, "out\n");
  EXPECT_EQ(r.stderr_data, "err\n");
  EXPECT_FALSE(r.stdout_truncated);
  EXPECT_GT(r.wall_ms, 0);
}

TEST_F(SandboxTest, ReportsANonzeroExit) {
  Result r = sh("exit 7");
  EXPECT_EQ(r.status, RunStatus::exit_nonzero);
  EXPECT_EQ(r.exit_code, 7);
}

TEST_F(SandboxTest, FeedsStdinAndPassesOnlyTheListedEnvironment) {
  ::setenv("AGENTD_TEST_SECRET", "host-secret", 1);
  Result r = sh("cat; echo; echo \"[$AGENTD_TEST_SECRET][$GREETING]\"", [](Spec& s) {
    s.stdin_data = "from stdin";
    s.env.push_back("GREETING=hi");
  });
  ASSERT_EQ(r.status, RunStatus::ok) << r.error;
  EXPECT_EQ(r.stdout_data, "from stdin\n[][hi]\n");
}

TEST_F(SandboxTest, RunsAsTheSandboxUserMappedToAnUnprivilegedHostId) {
  Result r = sh("id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map");
  ASSERT_EQ(r.status, RunStatus::ok) << r.error;
  unsigned inside = 0, host = 0, count = 0;
  const auto lines = r.stdout_data;
  EXPECT_EQ(lines.substr(0, 10), "1000\n1000\n");
  ASSERT_EQ(std::sscanf(lines.c_str() + 10, "%u %u %u", &inside, &host, &count), 3);
  EXPECT_EQ(inside, 1000u);
  EXPECT_GE(host, RunnerOptions{}.first_host_id);
  EXPECT_EQ(count, 1u);  // nothing else, host root above all, exists inside
}

TEST_F(SandboxTest, HoldsNoCapabilitiesAndNoNewPrivileges) {
  Result r =
      sh("grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status");
  ASSERT_EQ(r.status, RunStatus::ok) << r.error;
  for (const char* cap : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    EXPECT_NE(r.stdout_data.find(std::string(cap) + ":\t0000000000000000"), std::string::npos)
        << r.stdout_data;
  EXPECT_NE(r.stdout_data.find("NoNewPrivs:\t1"), std::string::npos);
  EXPECT_NE(r.stdout_data.find("Seccomp:\t2"), std::string::npos);  // a filter is loaded
}

TEST_F(SandboxTest, CannotCreateNestedUserNamespacesEvenWithoutSeccomp) {
  Result r =
      sh("cat /proc/sys/user/max_user_namespaces; unshare -U true 2>&1 | grep -c 'No space left'",
         [](Spec& s) { s.seccomp.disabled = true; });
  ASSERT_EQ(r.status, RunStatus::ok) << r.error << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "0\n1\n");
}

TEST_F(SandboxTest, RunsAsPidTwoUnderItsOwnInitWithoutAControllingTerminal) {
  Result r = sh("echo $$; cat /dev/tty 2>&1 || true");
  ASSERT_EQ(r.status, RunStatus::ok) << r.error;
  EXPECT_EQ(r.stdout_data.substr(0, 2), "2\n");
  EXPECT_NE(r.stdout_data.find("No such device"), std::string::npos) << r.stdout_data;
}

TEST_F(SandboxTest, NetworkNoneHasOnlyLoopbackUp) {
  // A fresh network namespace holds lo and, where their modules are loaded, fallback tunnel
  // devices (tunl0, sit0, ...) that stay down: the sandbox must see exactly what this host
  // gives a fresh namespace, and no route (the route table has only its header).
  const std::vector<std::string> fresh = agentd::host_probe::fresh_netns_interfaces();
  ASSERT_NE(std::find(fresh.begin(), fresh.end(), "lo"), fresh.end())
      << "a fresh network namespace made by the test has no lo";
  std::string expected;
  for (const std::string& name : fresh) expected += name + "\n";
  Result r =
      sh("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | sort; "
         "cat /proc/net/route | wc -l");
  ASSERT_EQ(r.status, RunStatus::ok) << r.error;
  EXPECT_EQ(r.stdout_data, expected + "1\n");
}

TEST_F(SandboxTest, WallTimeKillsTheWholeSandbox) {
  Result r = sh("sleep 100 & sleep 100 & while :; do :; done",
                [](Spec& s) { s.limits.wall_time = milliseconds(300); });
  EXPECT_EQ(r.status, RunStatus::timeout);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_LT(r.wall_ms, 5000);
}

TEST_F(SandboxTest, CpuTimeCountsEveryProcess) {
  Result r = sh("(while :; do :; done) & while :; do :; done", [](Spec& s) {
    s.limits.cpu_time = milliseconds(400);
    s.limits.wall_time = milliseconds(20'000);
  });
  EXPECT_EQ(r.status, RunStatus::cpu_limit);
  EXPECT_GE(r.cpu_ms, 400);
}

TEST_F(SandboxTest, SleepingDoesNotUseCpuTime) {
  Result r = sh("sleep 30", [](Spec& s) {
    s.limits.cpu_time = milliseconds(200);
    s.limits.wall_time = milliseconds(500);
  });
  EXPECT_EQ(r.status, RunStatus::timeout);
}

TEST_F(SandboxTest, OomKillIsAMemoryLimitResult) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/python3";
  Spec spec = default_spec({"/usr/bin/python3", "-c", "x = bytearray(256 << 20); print(len(x))"});
  spec.limits.memory_bytes = 48ull << 20;
  Result r = runner_->run(std::move(spec));
  EXPECT_EQ(r.status, RunStatus::memory_limit) << r.error << r.stderr_data;
  EXPECT_LE(r.peak_memory_bytes, 48ull << 20);
}

TEST_F(SandboxTest, OutputPastTheCapStopsTheProgram) {
  Result r = sh("yes", [](Spec& s) { s.limits.stdout_bytes = 1000; });
  EXPECT_EQ(r.status, RunStatus::output_limit);
  EXPECT_EQ(r.stdout_data.size(), 1000u);
  EXPECT_TRUE(r.stdout_truncated);
  EXPECT_FALSE(r.stderr_truncated);
}

TEST_F(SandboxTest, ExactlyTheCapIsNotTruncated) {
  Result r = sh("printf 0123456789", [](Spec& s) { s.limits.stdout_bytes = 10; });
  EXPECT_EQ(r.status, RunStatus::ok);
  EXPECT_EQ(r.stdout_data, "0123456789");
  EXPECT_FALSE(r.stdout_truncated);
}

TEST_F(SandboxTest, DefaultActionSignalsWorkAsOutsideASandbox) {
  // As pid 1 a program would survive these; as pid 2 it ends like anywhere else.
  Result term = sh("kill -TERM $$; sleep 5");
  EXPECT_EQ(term.status, RunStatus::signaled);
  EXPECT_EQ(term.signal, SIGTERM);
  Result fsize =
      sh("head -c 10000 /dev/zero > /tmp/f", [](Spec& s) { s.limits.file_size_bytes = 4096; });
  EXPECT_EQ(fsize.status, RunStatus::exit_nonzero) << "head is not the init, sh is the program";
}

TEST_F(SandboxTest, AFaultingProgramIsSignaled) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/python3";
  Spec spec = default_spec({"/usr/bin/python3", "-c", "import ctypes; ctypes.string_at(0)"});
  Result r = runner_->run(std::move(spec));
  EXPECT_EQ(r.status, RunStatus::signaled) << r.stderr_data;
  EXPECT_EQ(r.signal, SIGSEGV);
}

TEST_F(SandboxTest, SetupErrorsNameTheStepAndErrno) {
  Result missing = sh("true", [](Spec& s) { s.argv = {"no-such-program"}; });
  EXPECT_EQ(missing.status, RunStatus::setup_error);
  EXPECT_NE(missing.error.find("execve no-such-program"), std::string::npos) << missing.error;
  EXPECT_NE(missing.error.find("errno 2"), std::string::npos) << missing.error;

  Result bad_bind = sh("true", [](Spec& s) {
    s.mounts.push_back({MountType::ro_bind, "/no/such/dir", "/data", 0});
  });
  EXPECT_EQ(bad_bind.status, RunStatus::setup_error);
  EXPECT_NE(bad_bind.error.find("/no/such/dir"), std::string::npos) << bad_bind.error;

  Result bad_workdir = sh("true", [](Spec& s) { s.workdir = "/no/such/dir"; });
  EXPECT_EQ(bad_workdir.status, RunStatus::setup_error);
  EXPECT_NE(bad_workdir.error.find("chdir"), std::string::npos) << bad_workdir.error;
}

TEST_F(SandboxTest, ConcurrentRunsOnOneThreadGetDistinctHostIds) {
  boost::asio::io_context context;
  std::vector<Result> results;
  for (int i = 0; i < 16; ++i) {
    Spec spec = default_spec({"/bin/sh", "-c", "sleep 0.3; cut -d' ' -f2- /proc/self/uid_map"});
    runner_->async_run(context.get_executor(), std::move(spec),
                       [&](Result r) { results.push_back(std::move(r)); });
  }
  context.run();
  ASSERT_EQ(results.size(), 16u);
  std::set<std::string> host_ids;
  for (const Result& r : results) {
    ASSERT_EQ(r.status, RunStatus::ok) << r.error;
    host_ids.insert(r.stdout_data);
  }
  EXPECT_EQ(host_ids.size(), 16u);
}

TEST_F(SandboxTest, CancellationKillsTheSandbox) {
  boost::asio::io_context context;
  boost::asio::cancellation_signal cancel;
  boost::asio::steady_timer timer(context, milliseconds(200));
  timer.async_wait(
      [&](boost::system::error_code) { cancel.emit(boost::asio::cancellation_type::terminal); });
  Result result;
  Spec spec = default_spec({"/bin/sleep", "60"});
  runner_->async_run(
      context.get_executor(), std::move(spec),
      boost::asio::bind_cancellation_slot(cancel.slot(), [&](Result r) { result = std::move(r); }));
  context.run();
  EXPECT_EQ(result.status, RunStatus::signaled);
  EXPECT_EQ(result.signal, SIGKILL);
  EXPECT_EQ(result.error, "cancelled");
  EXPECT_LT(result.wall_ms, 5000);
}

// Two sandboxes joined by a socketpair at kChannelFd talk to each other and to nobody else;
// the peer reads EOF once the program ends, though its sandbox's init held a copy too.
TEST_F(SandboxTest, AChannelJoinsTwoSandboxesAndEndsWithTheProgram) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  auto left = std::make_shared<const UniqueFd>(pair[0]);
  auto right = std::make_shared<const UniqueFd>(pair[1]);
  boost::asio::io_context context;
  Result asker, answerer;
  Spec ask = default_spec({"/bin/sh", "-c", "echo ping >&4; read reply <&4; echo \"$reply\""});
  ask.channel = left;
  Spec answer = default_spec(
      {"/bin/sh", "-c", "read x <&4; echo \"pong $x\" >&4; cat <&4; echo eof; ls /proc/self/fd"});
  answer.channel = right;
  runner_->async_run(context.get_executor(), std::move(ask),
                     [&](Result r) { asker = std::move(r); });
  runner_->async_run(context.get_executor(), std::move(answer),
                     [&](Result r) { answerer = std::move(r); });
  left.reset();
  right.reset();
  context.run();
  ASSERT_EQ(asker.status, RunStatus::ok) << asker.error << asker.stderr_data;
  EXPECT_EQ(asker.stdout_data, "pong ping\n");
  ASSERT_EQ(answerer.status, RunStatus::ok) << answerer.error << answerer.stderr_data;
  EXPECT_EQ(answerer.stdout_data.substr(0, 4), "eof\n");
  // ls's own listing: stdio, the channel, and the directory ls reads; no sync socket.
  EXPECT_EQ(answerer.stdout_data.substr(4), "0\n1\n2\n3\n4\n") << answerer.stdout_data;
}

TEST_F(SandboxTest, WithoutAChannelOnlyStdioIsOpen) {
  Result r = sh("ls /proc/self/fd");
  ASSERT_EQ(r.status, RunStatus::ok) << r.error;
  EXPECT_EQ(r.stdout_data, "0\n1\n2\n3\n");  // 3: ls's own directory
}

TEST_F(SandboxTest, AClosedChannelIsRefused) {
  Result r = sh("true", [](Spec& s) { s.channel = std::make_shared<const UniqueFd>(); });
  EXPECT_EQ(r.status, RunStatus::setup_error);
  EXPECT_NE(r.error.find("channel"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace sandbox::testing
