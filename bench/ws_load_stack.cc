#include "bench/ws_load_stack.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <utility>

namespace ws_load {
namespace {

using base::Error;
using base::Expected;
using nlohmann::json;
using namespace std::chrono_literals;

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// fork + exec with stdout and stderr redirected; `argv[0]` is a path.
Expected<Child> spawn(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return Error{errno_text("fork")};
  if (pid == 0) {
    ::dup2(stdout_fd, 1);
    ::dup2(stderr_fd, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return Child(pid);
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::string hex;
  char byte[3];
  for (unsigned char c : digest) {
    std::snprintf(byte, sizeof byte, "%02x", c);
    hex += byte;
  }
  return hex;
}

json final_answer(json answer) {
  return {{"tool_calls",
           json::array({{{"name", "final_answer"}, {"arguments", {{"answer", answer}}}}})}};
}

// Every task: a planner with `subtasks` parts, a worker per part, a reducer.
json llm_script(uint32_t subtasks) {
  json parts = json::array();
  for (uint32_t i = 0; i < subtasks; ++i) parts.push_back("part " + std::to_string(i + 1));
  return {{"roles",
           {{"planner", {{"default", final_answer({{"subtasks", parts}})}}},
            {"worker", {{"default", final_answer("done {{n}}")}}},
            {"reducer", {{"default", final_answer("merged")}}}}}};
}

json daemon_config(const std::string& dir, uint16_t port, uint16_t llm_port,
                   const std::string& token, uint32_t clients) {
  const uint32_t many = std::max<uint32_t>(clients * 4, 1000);
  return {
      {"listen", {{"address", "127.0.0.1"}, {"port", port}}},
      {"journal", {{"path", dir + "/journal.db"}}},
      {"models", json::array({{{"name", "scripted"},
                               {"base_url", "http://127.0.0.1:" + std::to_string(llm_port) + "/v1"},
                               {"model", "scripted"},
                               {"max_concurrency", 1024}}})},
      {"tenants", json::array({{{"name", "load"},
                                {"token_sha256", sha256_hex(token)},
                                {"policies", json::array({"*"})},
                                {"quotas", {{"concurrent_tasks", many}, {"agents", many * 8}}}}})},
      {"limits",
       {{"connections_per_tenant", many},
        {"max_running_tasks", many},
        {"requests_per_second", 1000},
        {"request_burst", 1000}}},
      {"sandbox", {{"id_lock_dir", dir + "/ids"}, {"workspace_root", dir + "/workspaces"}}},
  };
}

uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

// GET /healthz answers 200.
bool healthy(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const char request[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::write(fd, request, sizeof request - 1) > 0) {
      char reply[64] = {};
      ok = ::read(fd, reply, sizeof reply - 1) > 12 && std::strncmp(reply + 9, "200", 3) == 0;
    }
  }
  ::close(fd);
  return ok;
}

Expected<uint16_t> read_port_line(int fd) {
  std::string line;
  char c;
  while (line.size() < 16 && ::read(fd, &c, 1) == 1 && c != '\n') line += c;
  if (line.empty() || line.find_first_not_of("0123456789") != std::string::npos)
    return Error{"the scripted LLM server printed \"" + line + "\", not its port"};
  return static_cast<uint16_t>(std::stoul(line));
}

base::Status write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) return Error{"cannot write " + path};
  return base::Ok{};
}

}  // namespace

Child::Child(Child&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

void Child::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 300; ++i) {  // 30 s for agentd's drain
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(100ms);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

Expected<Stack> Stack::start(const StackOptions& options) {
  Stack stack;
  std::string pattern = options.parent_dir + "/ws_load.XXXXXX";
  if (!::mkdtemp(pattern.data())) return Error{errno_text("mkdtemp in " + options.parent_dir)};
  stack.dir_ = pattern;
  std::filesystem::create_directories(stack.dir_ + "/ids");
  std::filesystem::create_directories(stack.dir_ + "/workspaces");
  const std::string script = stack.dir_ + "/script.json";
  if (auto written = write_file(script, llm_script(options.subtasks).dump()); !written)
    return written.error();

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Error{errno_text("pipe2")};
  auto llm = spawn({"/usr/bin/python3", options.scripted_llm, "--port", "0", "--latency-ms",
                    std::to_string(options.llm_latency_ms), "--latency-jitter-ms",
                    std::to_string(options.llm_jitter_ms), "--script", script},
                   pipe_fds[1], 2);
  ::close(pipe_fds[1]);
  if (!llm) return llm.error();
  stack.llm_ = std::move(*llm);
  auto llm_port = read_port_line(pipe_fds[0]);
  if (!llm_port) return llm_port.error();  // the read end stays open: the server may print

  stack.token_ = "ws-load-token";
  stack.port_ = free_port();
  const std::string config = stack.dir_ + "/agentd.json";
  if (auto written = write_file(
          config,
          daemon_config(stack.dir_, stack.port_, *llm_port, stack.token_, options.clients).dump(2));
      !written)
    return written.error();
  const int log =
      ::open((stack.dir_ + "/agentd.log").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  auto daemon = spawn({options.agentd, "--config", config}, log, log);
  ::close(log);
  if (!daemon) return daemon.error();
  stack.daemon_ = std::move(*daemon);
  for (int i = 0; i < 600; ++i) {
    if (healthy(stack.port_)) return stack;
    if (::waitpid(stack.daemon_.pid(), nullptr, WNOHANG) != 0)
      return Error{"agentd exited at start; see " + stack.dir_ + "/agentd.log"};
    std::this_thread::sleep_for(50ms);
  }
  return Error{"agentd did not answer /healthz in 30 s; see " + stack.dir_ + "/agentd.log"};
}

Stack::~Stack() {
  daemon_.stop();
  llm_.stop();
  if (!dir_.empty() && !std::getenv("WS_LOAD_KEEP")) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

uint64_t status_bytes(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stoull(line.substr(field.size())) * 1024;
  return 0;
}

}  // namespace ws_load
