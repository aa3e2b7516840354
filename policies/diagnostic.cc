#include "policies/diagnostic.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace policies {

std::string Diagnostic::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!pointer.empty()) out += pointer + ": ";
  out += message;
  return out;
}

std::string format(const Diagnostics& diagnostics) {
  std::string out;
  for (const Diagnostic& diagnostic : diagnostics) out += diagnostic.to_string() + "\n";
  return out;
}

base::Error to_error(const Diagnostics& diagnostics) {
  std::string message = format(diagnostics);
  if (!message.empty()) message.pop_back();
  return base::Error{std::move(message)};
}

std::pair<uint32_t, uint32_t> line_and_column(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  std::string_view before = text.substr(0, offset);
  uint32_t line = 1 + static_cast<uint32_t>(std::count(before.begin(), before.end(), '\n'));
  size_t line_start = before.rfind('\n');
  size_t column = line_start == std::string_view::npos ? offset : offset - line_start - 1;
  return {line, static_cast<uint32_t>(column + 1)};
}

std::string shorten(std::string text, size_t max_chars) {
  if (text.size() <= max_chars) return text;
  // Cut on a UTF-8 boundary: the text may end up in JSON, which must stay valid UTF-8.
  size_t cut = max_chars;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "...";
}

std::string quote(std::string_view text) {
  return nlohmann::json(shorten(std::string(text.substr(0, 64)), 60))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace policies
