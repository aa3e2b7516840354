// The daemon's log: one line per message on stderr, written with a single write(2) so lines
// from the journal's writer thread and the event loop never interleave. Under systemd (stderr
// connected to the journal, JOURNAL_STREAM set) each line starts with its syslog priority
// ("<3>"), so `journalctl -p warning` filters by level. Messages below the threshold
// (AGENTD_LOG_LEVEL=error|warning|info|debug, default info) are dropped.
//
//   base::log::info() << "serving (" << connections << " connections)";
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace base::log {

enum class Level { error = 3, warning = 4, info = 6, debug = 7 };  // syslog priorities

// The program name that starts each line ("agentd: ..."); set once at start.
void set_program(std::string name);
// The threshold; read from AGENTD_LOG_LEVEL when never set.
void set_threshold(Level level);
bool enabled(Level level);
// Writes one line (a trailing newline in `text` is not needed).
void write(Level level, std::string_view text);

// Collects one line with operator<< and writes it when it goes out of scope.
class Line {
 public:
  explicit Line(Level level) : level_(level), on_(enabled(level)) {}
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;
  ~Line() {
    if (on_) write(level_, text_.str());
  }
  template <class T>
  Line& operator<<(const T& value) {
    if (on_) text_ << value;
    return *this;
  }

 private:
  Level level_;
  bool on_;
  std::ostringstream text_;
};

inline Line error() {
  return Line(Level::error);
}
inline Line warning() {
  return Line(Level::warning);
}
inline Line info() {
  return Line(Level::info);
}
inline Line debug() {
  return Line(Level::debug);
}

}  // namespace base::log
