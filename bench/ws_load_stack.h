// The system under test for bench/ws_load: the scripted LLM server and agentd, started in a
// private temporary directory with a configuration sized for thousands of clients, and
// stopped (SIGTERM, then SIGKILL) when the Stack goes away.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.h"

namespace ws_load {

// A child process, terminated when this goes away.
class Child {
 public:
  Child() = default;
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  ~Child() { stop(); }
  pid_t pid() const { return pid_; }
  void stop();

 private:
  pid_t pid_ = -1;
};

struct StackOptions {
  std::string agentd;        // the agentd binary
  std::string scripted_llm;  // tests/fixtures/scripted_llm/server.py
  // A model's answer takes latency + a uniformly random 0..jitter ms: real models answer an
  // agent's turn in seconds, and never all at once.
  uint32_t llm_latency_ms = 1000;
  uint32_t llm_jitter_ms = 1000;
  uint32_t subtasks = 2;            // workers per fan_out task
  uint32_t clients = 1000;          // sizes the daemon's limits
  std::string parent_dir = "/tmp";  // where the daemon's journal and workspaces go
};

class Stack {
 public:
  static base::Expected<Stack> start(const StackOptions& options);
  Stack(Stack&&) = default;
  Stack& operator=(Stack&&) = default;
  ~Stack();

  uint16_t port() const { return port_; }
  const std::string& token() const { return token_; }
  pid_t daemon_pid() const { return daemon_.pid(); }
  const std::string& dir() const { return dir_; }

 private:
  Stack() = default;
  std::string dir_;
  std::string token_;
  uint16_t port_ = 0;
  Child llm_;
  Child daemon_;  // declared last: stopped first
};

// (utime + stime) of a process in seconds, from /proc/PID/stat.
double cpu_seconds(pid_t pid);
// A "VmHWM:"-style field of /proc/PID/status in bytes (0 when unreadable).
uint64_t status_bytes(pid_t pid, const std::string& field);

}  // namespace ws_load
