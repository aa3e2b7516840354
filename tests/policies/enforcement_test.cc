// Both enforcement layers, separately. Layer one: the ToolScope refuses a tool call. Layer two:
// the same action, attempted by code the scope did allow to run, fails inside the sandbox
// compiled from the same policy (no route out, read-only system, absent files, read-only
// workspace, seccomp, cgroup limits).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/unique_fd.h"
#include "tests/policies/test_support.h"
#include "tests/sandbox/runner_fixture.h"

namespace policies::testing {
namespace {

class Enforcement : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    runner_ = sandbox::testing::shared_runner(why);
    if (!runner_) AGENTD_SKIP_UNLESS_HOST_CAN_SANDBOX(why);
    if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/python3";
  }

  // Runs a Python program the way run_code would under `compiled`.
  sandbox::Result python(const Compiled& compiled, const std::string& program,
                         const std::string& workspace_dir = "") {
    EXPECT_EQ(compiled.scope.check_run_code("python"), std::nullopt) << "scope refuses python";
    sandbox::Spec spec = compiled.spec;
    if (!workspace_dir.empty()) {
      spec = bind_workspace(std::move(spec), workspace_dir, compiled.effective.workspace);
    }
    spec.argv = {"python3", "-c", program};
    return runner_->run(std::move(spec));
  }

  std::shared_ptr<sandbox::Runner> runner_;
};

// A TCP listener on the host's loopback, to see whether anything reaches it.
class HostListener {
 public:
  HostListener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(::listen(fd_.get(), 8), 0);
    EXPECT_EQ(::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
  }
  int port() const { return port_; }
  bool was_reached() const {
    base::UniqueFd accepted(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    return accepted.get() >= 0;
  }

 private:
  base::UniqueFd fd_;
  int port_ = 0;
};

std::string connect_program(int port) {
  return "import socket, errno\n"
         "s = socket.socket()\n"
         "s.settimeout(3)\n"
         "try:\n"
         "    s.connect(('127.0.0.1', " +
         std::to_string(port) +
         "))\n"
         "    print('connected')\n"
         "except OSError as e:\n"
         "    print('blocked', errno.errorcode.get(e.errno, e.errno))\n";
}

// Tries to open `path` for writing; prints "wrote" or "blocked ERRNAME".
std::string write_program(const std::vector<std::string>& paths) {
  std::string program = "import errno\n";
  for (const std::string& path : paths) {
    program +=
        "try:\n"
        "    open('" +
        path +
        "', 'w').write('x')\n"
        "    print('wrote " +
        path +
        "')\n"
        "except OSError as e:\n"
        "    print('blocked " +
        path + "', errno.errorcode.get(e.errno, e.errno))\n";
  }
  return program;
}

TEST_F(Enforcement, ReviewerAndResearcherCannotRunCodeAtAll) {
  for (const char* name : {"reviewer", "researcher"}) {
    Compiled compiled = compile(builtin(name), default_caps());
    std::optional<Refusal> refusal = compiled.scope.check_run_code("python");
    ASSERT_TRUE(refusal) << name;
    EXPECT_EQ(refusal->tool, "run_code");
  }
}

TEST_F(Enforcement, NetworkEgressIsRefusedByTheScopeAndImpossibleInTheSandbox) {
  HostListener listener;
  Compiled coder = compile(builtin("coder"), default_caps());
  std::string url = "http://127.0.0.1:" + std::to_string(listener.port()) + "/";
  // Layer one: the coder has no http_get.
  ASSERT_TRUE(coder.scope.check_http_get(url, "GET"));
  // Layer two: python the scope allowed tries the same from inside.
  sandbox::Result result = python(coder, connect_program(listener.port()));
  ASSERT_EQ(result.status, sandbox::RunStatus::ok) << result.error << result.stderr_data;
  EXPECT_EQ(result.stdout_data.rfind("blocked", 0), 0u) << result.stdout_data;
  EXPECT_FALSE(listener.was_reached());
}

TEST_F(Enforcement, TheNetworkTestCanSeeAConnectionWhenThePolicyAllowsHostNetworking) {
  // The control for the test above: with host networking the same program does connect, so
  // "blocked" there is the sandbox's doing.
  HostListener listener;
  Caps caps = default_caps();
  caps.allow_host_network = true;
  Compiled host = compile(load_ok(R"({"extends": "coder", "network": "host",
                                      "allow_host_network": true})"),
                          caps);
  ASSERT_EQ(host.spec.network, sandbox::NetworkMode::host);
  sandbox::Result result = python(host, connect_program(listener.port()));
  ASSERT_EQ(result.status, sandbox::RunStatus::ok) << result.error << result.stderr_data;
  EXPECT_EQ(result.stdout_data, "connected\n");
}

TEST_F(Enforcement, WritesOutsideTheWorkspaceAreRefusedAndImpossible) {
  Compiled coder = compile(builtin("coder"), default_caps());
  // Layer one.
  for (const char* path : {"../escape.txt", "/etc/passwd", "src/../../escape.txt"}) {
    EXPECT_TRUE(coder.scope.check_write_file(path)) << path;
  }
  EXPECT_EQ(coder.scope.check_write_file("inside.txt"), std::nullopt);
  // Layer two: the root is read-only; only the workspace and /tmp take writes.
  sandbox::Result result =
      python(coder, write_program({"/etc/passwd", "/usr/evil", "/escape.txt",
                                   "/workspace/../escape2.txt", "/workspace/inside.txt"}));
  ASSERT_EQ(result.status, sandbox::RunStatus::ok) << result.error << result.stderr_data;
  std::istringstream lines(result.stdout_data);
  std::string line;
  std::vector<std::string> outcomes;
  while (std::getline(lines, line)) outcomes.push_back(line.substr(0, line.find(' ', 8)));
  EXPECT_EQ(outcomes, (std::vector<std::string>{
                          "blocked /etc/passwd", "blocked /usr/evil", "blocked /escape.txt",
                          "blocked /workspace/../escape2.txt", "wrote /workspace/inside.txt"}))
      << result.stdout_data;
}

TEST_F(Enforcement, SecretsOutsideTheWorkspaceAreRefusedAndAbsent) {
  ASSERT_EQ(::access("/etc/shadow", F_OK), 0) << "the host has no /etc/shadow to hide";
  Compiled coder = compile(builtin("coder"), default_caps());
  EXPECT_TRUE(coder.scope.check_read_file("/etc/shadow"));
  EXPECT_TRUE(coder.scope.check_read_file("../../../etc/shadow"));
  sandbox::Result result = python(coder,
                                  "import errno\n"
                                  "try:\n"
                                  "    print(open('/etc/shadow').read())\n"
                                  "except OSError as e:\n"
                                  "    print('blocked', errno.errorcode.get(e.errno, e.errno))\n");
  ASSERT_EQ(result.status, sandbox::RunStatus::ok) << result.error << result.stderr_data;
  EXPECT_EQ(result.stdout_data, "blocked ENOENT\n");
}

TEST_F(Enforcement, TheTestersWorkspaceIsReadOnlyInBothLayers) {
  TempDir workspace;
  // World-writable, so that only the mount can be what refuses the write.
  ::chmod(workspace.path().c_str(), 0777);
  std::filesystem::path candidate = workspace.write("candidate.py", "print('candidate')\n");
  ::chmod(candidate.c_str(), 0666);

  Compiled tester = compile(builtin("tester"), default_caps());
  EXPECT_EQ(tester.scope.check_read_file("candidate.py"), std::nullopt);
  EXPECT_TRUE(tester.scope.check_write_file("candidate.py"));  // layer one
  sandbox::Result result =
      python(tester,
             "exec(open('/workspace/candidate.py').read())\n" +
                 write_program({"/workspace/candidate.py", "/workspace/new.py", "/tmp/scratch"}),
             workspace.path().string());
  ASSERT_EQ(result.status, sandbox::RunStatus::ok) << result.error << result.stderr_data;
  EXPECT_EQ(result.stdout_data,
            "candidate\n"
            "blocked /workspace/candidate.py EROFS\n"
            "blocked /workspace/new.py EROFS\n"
            "wrote /tmp/scratch\n");
  std::ifstream unchanged(candidate);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(unchanged), {}), "print('candidate')\n");

  // The coder's workspace, bound the same way, takes the write: the mount made the difference.
  Compiled coder = compile(builtin("coder"), default_caps());
  result = python(coder, write_program({"/workspace/new.py"}), workspace.path().string());
  ASSERT_EQ(result.status, sandbox::RunStatus::ok) << result.error << result.stderr_data;
  EXPECT_EQ(result.stdout_data, "wrote /workspace/new.py\n");
  EXPECT_TRUE(std::filesystem::exists(workspace.path() / "new.py"));
}

TEST_F(Enforcement, APolicysSeccompProfileFileIsLoadedInTheSandbox) {
  TempDir dir;
  dir.write("no-mkdir.json", R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]
  })");
  std::filesystem::path file =
      dir.write("p.json", R"({"extends": "coder", "seccomp": "no-mkdir.json"})");
  Validated<Policy> loaded = load_policy_file(file);
  ASSERT_TRUE(loaded.ok()) << format(loaded.errors);
  const std::string program =
      "import os, errno\n"
      "try:\n"
      "    os.mkdir('/tmp/d')\n"
      "    print('made')\n"
      "except OSError as e:\n"
      "    print('blocked', errno.errorcode.get(e.errno, e.errno))\n";
  sandbox::Result denied = python(compile(*loaded.value, default_caps()), program);
  ASSERT_EQ(denied.status, sandbox::RunStatus::ok) << denied.error << denied.stderr_data;
  EXPECT_EQ(denied.stdout_data, "blocked EACCES\n");
  sandbox::Result allowed = python(compile(builtin("coder"), default_caps()), program);
  ASSERT_EQ(allowed.status, sandbox::RunStatus::ok) << allowed.error << allowed.stderr_data;
  EXPECT_EQ(allowed.stdout_data, "made\n");
}

TEST_F(Enforcement, LimitsAndEnvironmentFromThePolicyApplyInside) {
  Compiled small = compile(load_ok(R"({"extends": "coder",
                                       "limits": {"memory": "64M", "wall_time": "20s"},
                                       "env": {"AGENT_ROLE": "coder"}})"),
                           default_caps());
  sandbox::Result env = python(small, "import os; print(os.environ.get('AGENT_ROLE'))");
  ASSERT_EQ(env.status, sandbox::RunStatus::ok) << env.error << env.stderr_data;
  EXPECT_EQ(env.stdout_data, "coder\n");

  sandbox::Result memory = python(small, "b = bytearray(512 * 1024 * 1024); print(len(b))");
  EXPECT_EQ(memory.status, sandbox::RunStatus::memory_limit)
      << sandbox::to_string(memory.status) << " " << memory.stdout_data << memory.stderr_data;

  Compiled quick =
      compile(load_ok(R"({"extends": "coder", "limits": {"wall_time": "1s"}})"), default_caps());
  sandbox::Result timeout = python(quick, "import time; time.sleep(30)");
  EXPECT_EQ(timeout.status, sandbox::RunStatus::timeout) << sandbox::to_string(timeout.status);
}

}  // namespace
}  // namespace policies::testing
