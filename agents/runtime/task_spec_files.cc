// Files a task spec carries (input_files, repository.hidden_tests): relative paths that cannot
// leave the workspace, bounded in number and size, decoded from base64 where asked.
#include <set>

#include "agents/runtime/base64.h"
#include "agents/runtime/task_spec_parts.h"
#include "base/json_fields.h"
#include "base/json_pointer.h"

namespace agents {

namespace {

using base::Error;
using base::Ok;
using base::Status;
using nlohmann::json;
using Fields = base::JsonFields;

constexpr size_t kMaxInputBytes = 16 << 20;  // all files of a list together
constexpr size_t kMaxInputFiles = 256;

// Stores a parsed field, or passes its error on.
template <class T, class U>
Status assign(T& target, base::FieldResult<U> parsed) {
  if (!parsed) return parsed.error();
  target = static_cast<T>(std::move(parsed.value()));
  return Ok{};
}

}  // namespace

namespace spec_parts {

bool is_plain_relative_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string::npos) return false;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

Status parse_files(const json& files, const std::string& pointer, std::vector<InputFile>& out) {
  if (!files.is_array() || files.size() > kMaxInputFiles)
    return Error{pointer + ": expected a list of at most 256 {path, content}"};
  size_t total = 0;
  std::set<std::string> seen;
  for (size_t i = 0; i < files.size(); ++i) {
    Fields f(files[i], base::json_pointer_append(pointer, i));
    if (auto s = f.expect_object(); !s) return s.error();
    if (auto s = f.only({"path", "content", "encoding"}); !s) return s.error();
    InputFile file;
    if (auto s = assign(file.path, f.string("path", std::nullopt, 1024, true)); !s)
      return s.error();
    if (!is_plain_relative_path(file.path) || !seen.insert(file.path).second)
      return f.error("path", "a new relative path without \"..\", \".\" or empty parts");
    std::string encoding, content;
    if (auto s = assign(encoding, f.string("encoding", "utf-8", 16)); !s) return s.error();
    if (auto s = assign(content, f.string("content", std::nullopt, kMaxInputBytes * 4 / 3 + 4)); !s)
      return s.error();
    if (encoding == "base64") {
      auto bytes = runtime::base64_decode(content);
      if (!bytes) return f.error("content", "padded base64 (encoding is base64)");
      file.content = std::move(*bytes);
    } else if (encoding == "utf-8") {
      file.content = std::move(content);
    } else {
      return f.error("encoding", "\"utf-8\" or \"base64\"");
    }
    total += file.content.size();
    if (total > kMaxInputBytes) return f.error("content", "files of at most 16 MiB together");
    out.push_back(std::move(file));
  }
  return Ok{};
}

}  // namespace spec_parts

}  // namespace agents
