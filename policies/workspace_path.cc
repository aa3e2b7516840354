#include "policies/workspace_path.h"

#include <vector>

#include "policies/diagnostic.h"

namespace policies {
namespace {

std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

// `*` and `?` within one segment; iterative with one backtrack point, so linear-ish.
bool segment_matches(std::string_view pattern, std::string_view name) {
  size_t p = 0;
  size_t n = 0;
  size_t star = std::string_view::npos;
  size_t star_n = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_n = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++star_n;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// What is wrong with a path a model sent, worded to follow `path "..." `; nullopt if nothing.
std::optional<std::string> path_problem(std::string_view path) {
  if (path.size() > kMaxWorkspacePathBytes)
    return "is longer than " + std::to_string(kMaxWorkspacePathBytes) + " bytes";
  if (path.find('\0') != std::string_view::npos) return "contains a NUL byte";
  if (!path.empty() && path.front() == '/') return "is outside the workspace";
  // Every ".." is refused; the wording only tells the model whether it also climbed out.
  long depth = 0;
  bool dot_dot = false;
  bool escapes = false;
  for (std::string_view segment : split_segments(path)) {
    if (segment == "..") {
      dot_dot = true;
      escapes |= --depth < 0;
    } else if (!segment.empty() && segment != ".") {
      ++depth;
    }
  }
  if (escapes) return "is outside the workspace";
  if (dot_dot) return "has a \"..\" segment";
  return std::nullopt;
}

}  // namespace

base::Expected<WorkspacePath> WorkspacePath::parse(std::string_view path) {
  if (auto problem = path_problem(path)) {
    return base::Error{"path " + quote(path) + " " + *problem +
                       "; use a path relative to the workspace root without \"..\""};
  }
  std::string normalized;
  for (std::string_view segment : split_segments(path)) {
    if (segment.empty() || segment == ".") continue;
    if (!normalized.empty()) normalized += '/';
    normalized += segment;
  }
  return WorkspacePath(std::move(normalized));
}

std::vector<std::string_view> WorkspacePath::segments() const {
  if (normalized_.empty()) return {};
  return split_segments(normalized_);
}

std::optional<std::string> glob_problem(std::string_view glob) {
  constexpr std::string_view kExpected = "expected a relative glob like \"src/**\" or \"*.py\"";
  if (glob.empty()) return std::string(kExpected) + ", got an empty string";
  if (glob.size() > kMaxGlobBytes)
    return std::string(kExpected) + " of at most " + std::to_string(kMaxGlobBytes) + " bytes";
  if (glob.find('\0') != std::string_view::npos)
    return std::string(kExpected) + ", got one with a NUL byte";
  if (glob.front() == '/')
    return std::string(kExpected) + "; an absolute path escapes the workspace";
  for (std::string_view segment : split_segments(glob)) {
    if (segment == "..") return std::string(kExpected) + "; a \"..\" segment escapes the workspace";
    if (segment.empty() || segment == ".")
      return std::string(kExpected) + "; empty and \".\" segments are not allowed";
    if (segment.find("**") != std::string_view::npos && segment != "**")
      return std::string(kExpected) + "; \"**\" must be a whole segment";
  }
  return std::nullopt;
}

bool glob_matches(std::string_view glob, const WorkspacePath& workspace_path) {
  std::vector<std::string_view> pattern = split_segments(glob);
  std::vector<std::string_view> path = workspace_path.segments();
  // matched[j]: the glob's first i segments match the path's first j segments.
  std::vector<bool> matched(path.size() + 1, false);
  matched[0] = true;
  for (std::string_view segment : pattern) {
    std::vector<bool> next(path.size() + 1, false);
    for (size_t j = 0; j <= path.size(); ++j) {
      if (segment == "**") {
        next[j] = matched[j] || (j > 0 && next[j - 1]);
      } else if (j > 0) {
        next[j] = matched[j - 1] && segment_matches(segment, path[j - 1]);
      }
    }
    matched = std::move(next);
  }
  return matched[path.size()];
}

}  // namespace policies
