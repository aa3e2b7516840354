// Cutting tool results for the model: the head and the tail are kept (errors tend to be at
// the end of a program's output), and the cut says how much was left out, so the model
// knows it is not seeing everything. Cuts fall on UTF-8 character boundaries.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace agents::runtime {

// `text` when it fits in `max_chars` bytes, otherwise its head, a line
// "[... N bytes cut from a M-byte <what> ...]" and its tail.
std::string truncate_for_model(std::string_view text, size_t max_chars,
                               std::string_view what = "result");

}  // namespace agents::runtime
