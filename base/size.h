// Parsing of the sizes and durations that flags and policy files carry.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace base {

// "4096", "64K", "64KiB", "512M", "512MB", "1G", "2T" (binary units, case-insensitive).
Expected<uint64_t> parse_size(std::string_view text);

// "10" or "2.5" (seconds), "500ms", "10s", "2m", "1h".
Expected<std::chrono::milliseconds> parse_duration(std::string_view text);

// 536870912 -> "512M"; exact where possible, for messages and JSON.
std::string format_size(uint64_t bytes);

}  // namespace base
