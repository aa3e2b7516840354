// Standard base64 (RFC 4648, with padding) for input files carried in JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace agents::runtime {

std::string base64_encode(std::string_view bytes);
// nullopt when `text` is not canonical padded base64 (whitespace is not allowed).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace agents::runtime
