#include "sandbox/result.h"

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace sandbox {

std::string_view to_string(RunStatus status) {
  switch (status) {
    case RunStatus::ok:
      return "ok";
    case RunStatus::exit_nonzero:
      return "exit_nonzero";
    case RunStatus::signaled:
      return "signaled";
    case RunStatus::timeout:
      return "timeout";
    case RunStatus::cpu_limit:
      return "cpu_limit";
    case RunStatus::memory_limit:
      return "memory_limit";
    case RunStatus::output_limit:
      return "output_limit";
    case RunStatus::setup_error:
      return "setup_error";
  }
  return "unknown";
}

nlohmann::json to_json(const Result& result) {
  return {
      {"status", to_string(result.status)},
      {"exit_code", result.exit_code},
      {"signal", result.signal},
      {"wall_ms", result.wall_ms},
      {"cpu_ms", result.cpu_ms},
      {"peak_memory_bytes", result.peak_memory_bytes},
      {"stdout", base::valid_utf8(result.stdout_data)},
      {"stderr", base::valid_utf8(result.stderr_data)},
      {"stdout_truncated", result.stdout_truncated},
      {"stderr_truncated", result.stderr_truncated},
      {"error", result.error},
  };
}

}  // namespace sandbox
