// The http_get tool's own host allowlist check, made on every hop (the first URL and each
// redirect target) with the host exactly as libcurl parsed it. The policy layer checks the
// first URL too; this is the second, independent check (defence in depth).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace agents::tools {

// Patterns: "example.com" (that name only), "*.example.com" (any subdomain, at any depth,
// not example.com itself), an IP literal ("10.1.2.3", "[::1]", compared as addresses).
// Names compare case-insensitively and ignore one trailing dot.
bool host_allowed(const std::vector<std::string>& patterns, std::string_view host);

// "[a.com, *.b.org]", for refusal messages.
std::string format_allowlist(const std::vector<std::string>& patterns);

}  // namespace agents::tools
