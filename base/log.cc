#include "base/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

#include "base/strings.h"

namespace base::log {
namespace {

std::mutex program_mutex;
std::string program = "agentd";  // guarded by program_mutex: set at start, read per line
std::atomic<int> threshold{-1};  // -1: not read from the environment yet

Level threshold_from_environment() {
  const char* value = std::getenv("AGENTD_LOG_LEVEL");
  const std::string name = value ? lower(trim(value)) : "";
  if (name == "error") return Level::error;
  if (name == "warning") return Level::warning;
  if (name == "debug") return Level::debug;
  return Level::info;
}

bool to_journal() {
  static const bool connected = [] {
    const char* stream = std::getenv("JOURNAL_STREAM");
    return stream && *stream;
  }();
  return connected;
}

}  // namespace

void set_program(std::string name) {
  std::lock_guard lock(program_mutex);
  program = std::move(name);
}

void set_threshold(Level level) {
  threshold = static_cast<int>(level);
}

bool enabled(Level level) {
  int current = threshold.load();
  if (current < 0) {
    current = static_cast<int>(threshold_from_environment());
    threshold = current;
  }
  return static_cast<int>(level) <= current;
}

void write(Level level, std::string_view text) {
  if (!enabled(level)) return;
  std::string line;
  if (to_journal()) line = "<" + std::to_string(static_cast<int>(level)) + ">";
  {
    std::lock_guard lock(program_mutex);
    line += program;
  }
  line += ": ";
  line += text;
  if (line.back() != '\n') line += '\n';
  // One write: lines from different threads stay whole (stderr is a pipe or the journal).
  for (std::string_view rest = line; !rest.empty();) {
    const ssize_t written = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (written <= 0) return;  // nowhere to report that the log failed
    rest.remove_prefix(static_cast<size_t>(written));
  }
}

}  // namespace base::log
