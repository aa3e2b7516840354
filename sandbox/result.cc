#include "sandbox/result.h"

#include <nlohmann/json.hpp>

namespace sandbox {

std::string_view to_string(RunStatus status) {
  switch (status) {
    case RunStatus::ok: return "ok";
    case RunStatus::exit_nonzero: return "exit_nonzero";
    case RunStatus::signaled: return "signaled";
    case RunStatus::timeout: return "timeout";
    case RunStatus::cpu_limit: return "cpu_limit";
    case RunStatus::memory_limit: return "memory_limit";
    case RunStatus::output_limit: return "output_limit";
    case RunStatus::setup_error: return "setup_error";
  }
  return "unknown";
}

namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0 if it is not one.
size_t utf8_sequence_length(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3
                                  : (lead >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || length > s.size()) return 0;
  for (size_t i = 1; i < length; ++i)
    if ((byte(i) & 0xC0) != 0x80) return 0;
  // Reject overlong forms, surrogates and code points past U+10FFFF.
  if (length == 2 && lead < 0xC2) return 0;
  if (length == 3 && ((lead == 0xE0 && byte(1) < 0xA0) || (lead == 0xED && byte(1) > 0x9F)))
    return 0;
  if (length == 4 && ((lead == 0xF0 && byte(1) < 0x90) || lead > 0xF4 ||
                      (lead == 0xF4 && byte(1) > 0x8F)))
    return 0;
  return length;
}

// Program output need not be UTF-8, but JSON text must be: invalid bytes become U+FFFD.
std::string valid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  while (!bytes.empty()) {
    const size_t length = utf8_sequence_length(bytes);
    out.append(length ? bytes.substr(0, length) : std::string_view("\xEF\xBF\xBD"));
    bytes.remove_prefix(length ? length : 1);
  }
  return out;
}

}  // namespace

nlohmann::json to_json(const Result& result) {
  return {
      {"status", to_string(result.status)},
      {"exit_code", result.exit_code},
      {"signal", result.signal},
      {"wall_ms", result.wall_ms},
      {"cpu_ms", result.cpu_ms},
      {"peak_memory_bytes", result.peak_memory_bytes},
      {"stdout", valid_utf8(result.stdout_data)},
      {"stderr", valid_utf8(result.stderr_data)},
      {"stdout_truncated", result.stdout_truncated},
      {"stderr_truncated", result.stderr_truncated},
      {"error", result.error},
  };
}

}  // namespace sandbox
