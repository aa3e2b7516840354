// Server-sent events, as far as chat streaming needs them: `data:` fields joined per event
// and dispatched at the blank line that ends it; comments and other fields are ignored.
// Lines end with "\n" or "\r\n". Chunks may split lines and events anywhere.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace agents::llm {

class SseParser {
 public:
  // Called with each event's data; returning false stops parsing (feed returns that).
  using OnData = std::function<bool(std::string_view data)>;

  explicit SseParser(OnData on_data, std::size_t max_event_bytes = 8u << 20)
      : on_data_(std::move(on_data)), max_event_bytes_(max_event_bytes) {}

  // False when on_data stopped, or when a line or an event passed max_event_bytes (a
  // hostile or broken stream); error() then says why.
  bool feed(std::string_view chunk);
  // The stream ended: dispatches a last event that had no closing blank line.
  bool finish();
  const std::string& error() const { return error_; }

 private:
  bool take_line(std::string_view line);
  bool dispatch();

  OnData on_data_;
  std::size_t max_event_bytes_;
  std::string partial_line_;
  std::string data_;
  bool has_data_ = false;
  std::string error_;
};

}  // namespace agents::llm
