#include "base/json_strict.h"

#include <cmath>
#include <optional>
#include <vector>

#include "base/decimal.h"
#include "base/json_fields.h"
#include "base/json_pointer.h"
#include "base/strings.h"

namespace base {

namespace {

using nlohmann::json;

constexpr size_t kMaxShownChars = 60;
constexpr size_t kMaxErrorChars = 300;  // a parse error quotes the last token, which can be long

std::string cut(std::string_view text) {
  return text.size() <= kMaxShownChars ? std::string(text)
                                       : std::string(text.substr(0, kMaxShownChars - 3)) + "...";
}

// Why a double read from `text` is not the number written there, or nullopt.
std::optional<std::string> inexact(double value, const std::string& text) {
  const auto written = parse_decimal(text);
  if (!written) return "the number " + cut(text) + " is out of range";
  if (written->is_zero()) return std::nullopt;
  // The value as it will be written out again (nlohmann's shortest spelling that reads back),
  // which is what every later reader of the answer sees.
  const std::string held = json(value).dump();
  if (written->is_integer()) {
    if (parse_decimal(held) == written) return std::nullopt;
    return "the integer " + cut(text) + " is too large to be held exactly (it would be written " +
           "back as " + held + ")";
  }
  // Any other fraction reads as the nearest double; only becoming whole or zero changes
  // what it is.
  if (value != 0 && std::floor(value) != value) return std::nullopt;
  return "the number " + cut(text) + " would be written back as " + held;
}

// Builds the value from the parser's events, refusing as it goes; returning false stops the
// parser at once.
class StrictBuilder : public nlohmann::json_sax<json> {
 public:
  explicit StrictBuilder(size_t max_depth) : max_depth_(max_depth) {}

  bool null() override { return put(nullptr); }
  bool boolean(bool value) override { return put(value); }
  bool number_integer(number_integer_t value) override { return put(value); }
  bool number_unsigned(number_unsigned_t value) override { return put(value); }
  bool number_float(number_float_t value, const string_t& text) override {
    locate();
    if (auto why = inexact(value, text)) return refuse(here(), *why);
    return put(value);
  }
  bool string(string_t& value) override { return put(std::move(value)); }
  bool binary(binary_t& /*value*/) override { return refuse(here(), "binary values"); }
  bool start_object(std::size_t /*elements*/) override { return open(json::object()); }
  bool key(string_t& key) override {
    Frame& frame = frames_.back();
    if (frame.value->contains(key))
      return refuse(container(), "duplicate key " + shown(json(key), kMaxShownChars));
    frame.position = std::move(key);
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t /*elements*/) override { return open(json::array()); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const json::exception& error) override {
    // "[json.exception.parse_error.101] parse error at line 1, column 7: ..." without its tag.
    std::string what = error.what();
    if (const size_t tag_end = what.find("] "); what[0] == '[' && tag_end != std::string::npos)
      what.erase(0, tag_end + 2);
    what =
        valid_utf8(what.size() <= kMaxErrorChars ? what : what.substr(0, kMaxErrorChars) + "...");
    // nlohmann's 406 is a number beyond a double ("1e400"): JSON, but not a value we can hold.
    if (error.id == 406)
      error_ = Error{what, kJsonRefused};
    else
      error_ = Error{"not JSON: " + what, kNotJson};
    return false;
  }

  Expected<json> take() {
    if (error_) return *error_;
    return std::move(root_);
  }

 private:
  struct Frame {
    json* value;           // the open object or array
    std::string position;  // the key or index of the member being read, as a pointer token
  };

  // For an array, the position of the element about to be added.
  void locate() {
    if (!frames_.empty() && frames_.back().value->is_array())
      frames_.back().position = std::to_string(frames_.back().value->size());
  }
  // The pointer to the member being read, and to the innermost open container.
  std::string here() const { return pointer(frames_.size()); }
  std::string container() const { return pointer(frames_.size() - 1); }
  std::string pointer(size_t levels) const {
    std::string out;
    for (size_t i = 0; i < levels; ++i) out = json_pointer_append(out, frames_[i].position);
    return out;
  }

  bool refuse(const std::string& at, const std::string& what) {
    error_ = Error{(at.empty() ? "/" : at) + ": " + what, kJsonRefused};
    return false;
  }

  json* place(json value) {
    if (frames_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& parent = *frames_.back().value;
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    json& slot = parent[frames_.back().position];
    slot = std::move(value);
    return &slot;
  }
  bool put(json value) {
    locate();
    place(std::move(value));
    return true;
  }
  bool open(json container) {
    locate();
    if (frames_.size() >= max_depth_)
      return refuse(here(), "nested deeper than " + std::to_string(max_depth_) + " levels");
    // A pointer into the parent stays valid: the parent gets nothing more until this closes.
    frames_.push_back({place(std::move(container)), {}});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return true;
  }

  size_t max_depth_;
  json root_;
  std::vector<Frame> frames_;
  std::optional<Error> error_;
};

}  // namespace

Expected<json> parse_json_strict(std::string_view text, size_t max_depth) {
  StrictBuilder builder(max_depth);
  json::sax_parse(text, &builder);
  return builder.take();
}

}  // namespace base
