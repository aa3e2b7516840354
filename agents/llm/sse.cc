#include "agents/llm/sse.h"

namespace agents::llm {

bool SseParser::feed(std::string_view chunk) {
  while (!chunk.empty()) {
    const std::size_t end = chunk.find('\n');
    if (end == std::string_view::npos) {
      partial_line_.append(chunk);
      if (partial_line_.size() + data_.size() > max_event_bytes_) {
        error_ = "an event passed " + std::to_string(max_event_bytes_) + " bytes";
        return false;
      }
      return true;
    }
    std::string_view line = chunk.substr(0, end);
    chunk.remove_prefix(end + 1);
    if (!partial_line_.empty()) {
      partial_line_.append(line);
      const std::string whole = std::move(partial_line_);
      partial_line_.clear();
      if (!take_line(whole)) return false;
    } else if (!take_line(line)) {
      return false;
    }
  }
  return true;
}

bool SseParser::finish() {
  if (!partial_line_.empty()) {
    const std::string last = std::move(partial_line_);
    partial_line_.clear();
    if (!take_line(last)) return false;
  }
  return dispatch();
}

bool SseParser::take_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return dispatch();
  if (line.front() == ':') return true;  // comment (keep-alive)
  const std::size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  if (field != "data") return true;  // event, id, retry: not used by chat streaming
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (has_data_) data_ += '\n';
  data_.append(value);
  has_data_ = true;
  if (data_.size() > max_event_bytes_) {
    error_ = "an event passed " + std::to_string(max_event_bytes_) + " bytes";
    return false;
  }
  return true;
}

bool SseParser::dispatch() {
  if (!has_data_) return true;
  const std::string data = std::move(data_);
  data_.clear();
  has_data_ = false;
  if (!on_data_(data)) {
    if (error_.empty()) error_ = "stopped by the reader";
    return false;
  }
  return true;
}

}  // namespace agents::llm
