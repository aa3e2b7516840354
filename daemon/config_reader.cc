#include "daemon/config_reader.h"

#include <cmath>

namespace agentd::config {

using nlohmann::json;

Reader::Reader(const json& object, std::string pointer, std::vector<std::string>& errors)
    : fields_(object, std::move(pointer)), errors_(errors) {
  if (auto object_read = fields_.expect_object(); !object_read)
    errors_.push_back(object_read.error().message);
}

void Reader::only(std::initializer_list<std::string_view> known) {
  for (const auto& unknown : fields_.unknown_keys(known, "key")) errors_.push_back(unknown.message);
}

Reader Reader::child(std::string_view key) {
  base::JsonFields child = fields_.child(key);
  return Reader(child.object(), child.pointer(), errors_);
}

void Reader::error(std::string_view key, const std::string& message) {
  errors_.push_back(fields_.at(key) + ": " + message);
}

void Reader::error(std::string_view key, size_t index, const std::string& message) {
  errors_.push_back(fields_.at(key) + "/" + std::to_string(index) + ": " + message);
}

template <class T>
bool Reader::store(base::FieldResult<T> read, T& out) {
  if (!read) {
    errors_.push_back(read.error().message);
    return false;
  }
  out = std::move(read).value();
  return true;
}

void Reader::string(std::string_view key, std::string& out, bool non_empty) {
  store(fields_.string(key, out, base::kAnyLength, non_empty), out);
}

void Reader::boolean(std::string_view key, bool& out) {
  store(fields_.boolean(key, out), out);
}

void Reader::count(std::string_view key, uint64_t& out, uint64_t min, uint64_t max) {
  store(fields_.count(key, out, min, max), out);
}

void Reader::count(std::string_view key, uint32_t& out, uint32_t min, uint32_t max) {
  uint64_t wide = out;
  if (store(fields_.count(key, out, min, max), wide)) out = static_cast<uint32_t>(wide);
}

void Reader::number(std::string_view key, double& out, double min, double max) {
  store(fields_.number(key, out, min, max), out);
}

void Reader::seconds(std::string_view key, std::chrono::milliseconds& out, double min, double max) {
  double seconds = static_cast<double>(out.count()) / 1000.0;
  if (store(fields_.number(key, seconds, min, max), seconds))
    out = std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000.0)));
}

void Reader::strings(std::string_view key, std::vector<std::string>& out) {
  store(fields_.strings(key, out), out);
}

}  // namespace agentd::config
