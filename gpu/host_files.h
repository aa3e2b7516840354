// Discovery reads the host's files under a configurable root ("/" in production, a fake tree
// in tests): joining that root with a host path, and reading a whole file.
#pragma once

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace gpu {

inline std::string under_root(std::string_view root, std::string_view absolute_path) {
  while (root.size() > 1 && root.back() == '/') root.remove_suffix(1);
  if (root.empty() || root == "/") return std::string(absolute_path);
  return std::string(root) + std::string(absolute_path);
}

// The whole file, bytes as they are; nullopt when it cannot be opened.
inline std::optional<std::string> read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::nullopt;
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

}  // namespace gpu
