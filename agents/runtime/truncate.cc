#include "agents/runtime/truncate.h"

#include <nlohmann/json.hpp>

namespace agents::runtime {
namespace {

bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Moves `position` back (or forward) to the start of a UTF-8 character.
size_t boundary_back(std::string_view text, size_t position) {
  while (position > 0 && position < text.size() && is_continuation(text[position])) --position;
  return position;
}
size_t boundary_forward(std::string_view text, size_t position) {
  while (position < text.size() && is_continuation(text[position])) ++position;
  return position;
}

}  // namespace

std::string truncate_for_model(std::string_view text, size_t max_chars, std::string_view what) {
  if (text.size() <= max_chars) return std::string(text);
  const size_t keep = max_chars > 120 ? max_chars - 120 : max_chars / 2;  // room for the note
  const size_t head = boundary_back(text, keep * 2 / 3);
  const size_t tail = boundary_forward(text, text.size() - (keep - head));
  std::string out(text.substr(0, head));
  out += "\n[... " + std::to_string(tail - head) + " bytes cut from a " +
         std::to_string(text.size()) + "-byte " + std::string(what) + " ...]\n";
  out += text.substr(tail);
  return out;
}

}  // namespace agents::runtime
