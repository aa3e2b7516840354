#include "policies/document.h"

#include <cctype>
#include <utility>

namespace policies {
namespace {

bool starts_with_at(std::string_view text, size_t pos, std::string_view prefix) {
  return text.substr(pos, prefix.size()) == prefix;
}

// Skips whitespace and comments from `pos`; tolerant of unterminated comments.
size_t skip_blank(std::string_view text, size_t pos) {
  while (pos < text.size()) {
    char c = text[pos];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++pos;
    } else if (starts_with_at(text, pos, "//")) {
      size_t end = text.find('\n', pos);
      pos = end == std::string_view::npos ? text.size() : end + 1;
    } else if (starts_with_at(text, pos, "/*")) {
      size_t end = text.find("*/", pos + 2);
      pos = end == std::string_view::npos ? text.size() : end + 2;
    } else {
      break;
    }
  }
  return pos;
}

// Offset just past the string literal starting at `pos` (which holds the opening quote).
size_t skip_string(std::string_view text, size_t pos) {
  for (++pos; pos < text.size(); ++pos) {
    if (text[pos] == '\\') {
      ++pos;
    } else if (text[pos] == '"') {
      return pos + 1;
    }
  }
  return text.size();
}

// Deepest nesting of [ and {, outside strings and comments. Runs before the real parser so
// that hostile input cannot make any later recursive step (scanner, copies, dumps) run deep.
int max_nesting(std::string_view text) {
  int depth = 0;
  int deepest = 0;
  size_t pos = 0;
  while ((pos = skip_blank(text, pos)) < text.size()) {
    char c = text[pos];
    if (c == '"') {
      pos = skip_string(text, pos);
      continue;
    }
    if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    if (c == ']' || c == '}') --depth;
    ++pos;
  }
  return deepest;
}

// Walks text that nlohmann already accepted and records each value's position.
class PositionScanner {
 public:
  PositionScanner(std::string_view text, Document& document, Diagnostics& errors)
      : text_(text), document_(document), errors_(errors) {}

  void scan() {
    pos_ = skip_blank(text_, skip_bom(0));
    value("", pos_);
  }

 private:
  static constexpr std::string_view kBom = "\xEF\xBB\xBF";

  size_t skip_bom(size_t pos) const { return starts_with_at(text_, pos, kBom) ? kBom.size() : pos; }

  void value(const std::string& pointer, size_t key_offset) {
    pos_ = skip_blank(text_, pos_);
    if (pos_ >= text_.size()) return;
    document_.positions[pointer] = ValuePosition{key_offset, pos_};
    char c = text_[pos_];
    if (c == '{') {
      object(pointer);
    } else if (c == '[') {
      array(pointer);
    } else if (c == '"') {
      pos_ = skip_string(text_, pos_);
    } else {
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '-' ||
              text_[pos_] == '+' || text_[pos_] == '.')) {
        ++pos_;
      }
    }
  }

  void object(const std::string& pointer) {
    ++pos_;  // '{'
    while ((pos_ = skip_blank(text_, pos_)) < text_.size() && text_[pos_] != '}') {
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      size_t key_offset = pos_;
      pos_ = skip_string(text_, pos_);
      std::string key = decode_key(text_.substr(key_offset, pos_ - key_offset));
      std::string member = pointer + "/" + pointer_token(key);
      if (document_.positions.count(member) != 0) {
        auto [line, column] = line_and_column(text_, key_offset);
        errors_.push_back({document_.origin, line, column, member,
                           "duplicate key " + nlohmann::json(key).dump() +
                               "; expected each key once (a later one would silently win)"});
      }
      pos_ = skip_blank(text_, pos_);
      if (pos_ < text_.size() && text_[pos_] == ':') ++pos_;
      value(member, key_offset);
    }
    ++pos_;  // '}'
  }

  void array(const std::string& pointer) {
    ++pos_;  // '['
    size_t index = 0;
    while ((pos_ = skip_blank(text_, pos_)) < text_.size() && text_[pos_] != ']') {
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      value(pointer + "/" + std::to_string(index++), pos_);
    }
    ++pos_;  // ']'
  }

  // The raw literal was accepted by nlohmann, so it decodes (escapes, \u pairs) the same way.
  static std::string decode_key(std::string_view literal) {
    nlohmann::json decoded = nlohmann::json::parse(literal, nullptr, false);
    return decoded.is_string() ? decoded.get<std::string>() : std::string(literal);
  }

  std::string_view text_;
  Document& document_;
  Diagnostics& errors_;
  size_t pos_ = 0;
};

// nlohmann's message without its "[json.exception.parse_error.101] " tag and, for syntax
// errors, its "parse error at line 1, column 5: " prefix, since we print our own position.
std::string exception_message(const nlohmann::json::exception& error, bool has_position) {
  std::string message = error.what();
  size_t tag_end = message.find("] ");
  if (tag_end != std::string::npos) message = message.substr(tag_end + 2);
  size_t colon = has_position ? message.find(": ") : std::string::npos;
  return colon == std::string::npos ? message : message.substr(colon + 2);
}

Diagnostic at_offset(const Document& document, size_t offset, std::string message) {
  auto [line, column] = line_and_column(document.text, offset);
  return Diagnostic{document.origin, line, column, "", std::move(message)};
}

}  // namespace

std::string pointer_token(std::string_view key) {
  std::string token;
  for (char c : key) {
    if (c == '~') {
      token += "~0";
    } else if (c == '/') {
      token += "~1";
    } else {
      token += c;
    }
  }
  return token;
}

Diagnostic Document::at(std::string_view pointer, std::string message, bool at_key) const {
  std::string_view found = pointer;
  auto it = positions.find(found);
  while (it == positions.end() && !found.empty()) {
    found = found.substr(0, found.rfind('/'));
    it = positions.find(found);
  }
  Diagnostic diagnostic{origin, 0, 0, std::string(pointer), std::move(message)};
  if (it != positions.end()) {
    size_t offset = at_key && found == pointer ? it->second.key_offset : it->second.value_offset;
    std::tie(diagnostic.line, diagnostic.column) = line_and_column(text, offset);
  }
  return diagnostic;
}

Validated<Document> parse_document(std::string text, std::string origin,
                                   std::filesystem::path dir) {
  Validated<Document> result;
  Document document{std::move(origin), std::move(dir), std::move(text), {}, {}};
  if (document.text.size() > kMaxDocumentBytes) {
    result.errors.push_back({document.origin, 0, 0, "",
                             "file is " + std::to_string(document.text.size()) +
                                 " bytes; a policy file may have at most " +
                                 std::to_string(kMaxDocumentBytes)});
    return result;
  }
  if (max_nesting(document.text) > kMaxNesting) {
    result.errors.push_back({document.origin, 0, 0, "",
                             "values nested deeper than " + std::to_string(kMaxNesting) +
                                 " levels; expected a policy object"});
    return result;
  }
  try {
    document.value = nlohmann::json::parse(document.text, nullptr, true, true);
  } catch (const nlohmann::json::parse_error& error) {
    result.errors.push_back(
        at_offset(document, error.byte > 0 ? error.byte - 1 : 0, exception_message(error, true)));
    return result;
  } catch (const nlohmann::json::exception& error) {  // e.g. a number too large for a double
    result.errors.push_back({document.origin, 0, 0, "", exception_message(error, false)});
    return result;
  }
  if (!document.value.is_object()) {
    result.errors.push_back(at_offset(
        document, 0,
        "expected a JSON object at the top level, got " + std::string(document.value.type_name())));
    return result;
  }
  PositionScanner(document.text, document, result.errors).scan();
  if (result.errors.empty()) result.value = std::move(document);
  return result;
}

}  // namespace policies
