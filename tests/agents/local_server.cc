#include "tests/agents/local_server.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace agents::testing {
namespace {

constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kScript = AGENTD_FIXTURES_DIR "/http/test_server.py";

std::string errno_text(const char* call) {
  return std::string(call) + ": " + std::strerror(errno) + " (errno " + std::to_string(errno) + ")";
}

// Reads the first line the server prints: its port.
int read_port(int fd) {
  std::string line;
  char c = 0;
  while (line.size() < 16) {
    const ssize_t got = ::read(fd, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0 || c == '\n') break;
    line += c;
  }
  try {
    return std::stoi(line);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

base::Expected<LocalServer> LocalServer::start() {
  if (::access(kPython, X_OK) != 0) return base::Error{"needs /usr/bin/python3"};
  int to_server[2];
  int from_server[2];
  if (::pipe2(to_server, O_CLOEXEC) != 0) return base::Error{errno_text("pipe2")};
  if (::pipe2(from_server, O_CLOEXEC) != 0) return base::Error{errno_text("pipe2")};
  base::UniqueFd stdin_write(to_server[1]);
  base::UniqueFd stdout_read(from_server[0]);
  base::UniqueFd stdin_read(to_server[0]);
  base::UniqueFd stdout_write(from_server[1]);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return base::Error{errno_text("fork")};
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(stdin_read.get(), STDIN_FILENO);
    ::dup2(stdout_write.get(), STDOUT_FILENO);
    ::execl(kPython, kPython, kScript, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  stdin_read.reset();
  stdout_write.reset();
  const int port = read_port(stdout_read.get());
  LocalServer server(pid, std::move(stdin_write), port);
  if (port <= 0)
    return base::Error{std::string("the test server (") + kScript + ") printed no port"};
  return server;
}

LocalServer::LocalServer(LocalServer&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      stdin_pipe_(std::move(other.stdin_pipe_)),
      port_(other.port_) {}

LocalServer::~LocalServer() {
  if (pid_ <= 0) return;
  stdin_pipe_.reset();
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

std::string LocalServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

base::Status enter_loopback_only_network() {
  static const base::Status status = []() -> base::Status {
    if (::unshare(CLONE_NEWNET) != 0) return base::Error{errno_text("unshare(CLONE_NEWNET)")};
    const base::UniqueFd socket_fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!socket_fd) return base::Error{errno_text("socket")};
    ifreq request{};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(socket_fd.get(), SIOCGIFFLAGS, &request) != 0) {
      return base::Error{errno_text("ioctl(SIOCGIFFLAGS, lo)")};
    }
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    if (::ioctl(socket_fd.get(), SIOCSIFFLAGS, &request) != 0) {
      return base::Error{errno_text("ioctl(SIOCSIFFLAGS, lo up)")};
    }
    return base::Ok{};
  }();
  return status;
}

}  // namespace agents::testing
