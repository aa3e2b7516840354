// sandbox::Result: what happened to one run.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace sandbox {

enum class RunStatus {
  ok,            // exited with status 0
  exit_nonzero,  // exited with another status
  signaled,      // killed by a signal that no limit explains
  timeout,       // wall time ran out; the whole pid namespace was killed
  cpu_limit,     // CPU time ran out
  memory_limit,  // the cgroup's OOM killer fired
  output_limit,  // stdout or stderr went past its cap; the program was stopped
  setup_error,   // the sandbox could not be built; `error` names the step and errno
};

std::string_view to_string(RunStatus status);

struct Result {
  RunStatus status = RunStatus::setup_error;
  int exit_code = -1;  // when the program exited
  int signal = 0;      // when it was killed by a signal
  int64_t wall_ms = 0;
  int64_t cpu_ms = 0;
  uint64_t peak_memory_bytes = 0;
  std::string stdout_data;
  std::string stderr_data;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::string error;  // setup_error only: "step: strerror (errno N)"
};

// One JSON object: {"status": "ok", "exit_code": 0, ..., "stdout": "...", ...}.
nlohmann::json to_json(const Result& result);

}  // namespace sandbox
