// Text helpers every module needs, written once.
#pragma once

#include <string>
#include <string_view>

namespace base {

// `text` without leading and trailing spaces, tabs, carriage returns and newlines.
std::string_view trim(std::string_view text);

// ASCII lower case (header names, host names, units); other bytes are left as they are.
std::string lower(std::string_view text);

// `bytes` as valid UTF-8, each byte that does not start a valid sequence replaced by U+FFFD
// (overlong forms, surrogates and code points past U+10FFFF are invalid). Program output and
// model text need not be UTF-8, but JSON text must be.
std::string valid_utf8(std::string_view bytes);

}  // namespace base
