// The chat-completions wire format: the request body a ChatRequest becomes, and what a
// (non-streamed) response body means. A body that does not have the documented shape is
// an error value naming what was wrong, never an exception.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "agents/llm/chat.h"
#include "base/expected.h"

namespace agents::llm {

// POST body for `model`; with `stream`, asks for SSE and a final usage chunk.
nlohmann::json request_body(const ChatRequest& request, const ModelConfig& model, bool stream);

// Parses a 2xx response body. Tool-call arguments are kept as text, valid JSON or not.
base::Expected<ChatResponse> parse_response(std::string_view body);

// The `usage` object (missing fields are 0). Counts only: cost and requests are set by the
// caller.
Usage parse_usage(const nlohmann::json& usage);

// Assistant message content: a string, null, or a list of {"type":"text","text":...} parts.
base::Expected<std::string> content_text(const nlohmann::json& content);

// The server's own error message from an error body ({"error":{"message":...}} or text),
// shortened and stripped of control characters, for error values and logs.
std::string error_excerpt(std::string_view body);

}  // namespace agents::llm
