#include "agents/tools/host_allowlist.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "agents/tools/address_guard.h"

namespace agents::tools {
namespace {

std::string normalize(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

// An IP literal host matches only the same address; a name matches names and wildcards
// (so "*.0.0.1" can never match 127.0.0.1).
bool matches(std::string_view raw_pattern, const std::string& host,
             const std::optional<IpAddress>& host_ip) {
  const std::string pattern = normalize(raw_pattern);
  if (host_ip) {
    const auto pattern_ip = parse_ip(strip_brackets(pattern));
    return pattern_ip && pattern_ip->bytes == host_ip->bytes;
  }
  if (pattern.starts_with("*.")) {
    const std::string_view suffix = std::string_view(pattern).substr(1);  // ".example.com"
    return host.size() > suffix.size() && host.ends_with(suffix);
  }
  return pattern == host;
}

}  // namespace

bool host_allowed(const std::vector<std::string>& patterns, std::string_view host) {
  const std::string normalized = normalize(host);
  if (normalized.empty()) return false;
  const auto host_ip = parse_ip(strip_brackets(normalized));
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& pattern) {
    return matches(pattern, normalized, host_ip);
  });
}

std::string format_allowlist(const std::vector<std::string>& patterns) {
  std::string text = "[";
  for (size_t i = 0; i < patterns.size(); ++i) {
    if (i > 0) text += ", ";
    text += patterns[i];
  }
  return text + "]";
}

}  // namespace agents::tools
