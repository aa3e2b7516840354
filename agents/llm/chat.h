// The OpenAI chat-completions API as plain data (POST {base_url}/chat/completions), which vLLM,
// llama.cpp's server, Ollama and OpenAI all serve.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/llm/breaker.h"

namespace agents {
class EventSink;
}

namespace agents::llm {

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text as the model produced it; may be invalid
};

struct Message {
  std::string role;  // system, user, assistant, tool
  std::string content;
  std::vector<ToolCall> tool_calls;  // assistant messages
  std::string tool_call_id;          // tool messages
};

struct ToolDefinition {
  std::string name;
  std::string description;
  nlohmann::json parameters;  // JSON schema of the arguments
};

struct ResponseFormat {
  enum class Kind { text, json_object, json_schema } kind = Kind::text;
  std::string name;       // json_schema
  nlohmann::json schema;  // json_schema
};

struct ChatRequest {
  std::string model;  // a configured model name (ModelConfig::name), not the server's id
  std::vector<Message> messages;
  std::vector<ToolDefinition> tools;
  ResponseFormat response_format;
  std::optional<double> temperature;
  std::optional<uint32_t> max_tokens;
  // Streaming (SSE): each content delta as it arrives; the response is still returned whole.
  std::function<void(std::string_view delta)> on_token;
  // For usage accounting and events.
  std::string task_id;
  std::string agent_id;
  std::string
      role;  // planner, worker, reducer, judge, proposer, aggregator, monitor, coder, tester
  // Where this request's llm.* events go; null: the Client's default sink (if any).
  agents::EventSink* events = nullptr;
};

struct Usage {
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t cached_tokens = 0;
  uint64_t reasoning_tokens = 0;
  double cost_usd = 0;
  uint64_t requests = 0;
  Usage& operator+=(const Usage& other);
  uint64_t total_tokens() const { return prompt_tokens + completion_tokens; }
};

struct ChatResponse {
  Message message;  // role "assistant"
  std::string finish_reason;
  Usage usage;
  uint32_t attempts = 1;  // 1 + retries
  std::string model;      // the configured model name that answered (ModelConfig::name)
};

struct ModelConfig {
  std::string name;         // how tasks and roles refer to it
  std::string base_url;     // e.g. http://127.0.0.1:8000/v1
  std::string model;        // the server's model id
  std::string api_key_env;  // environment variable holding the key; empty: no key
  uint32_t max_concurrency = 16;
  double usd_per_million_input = 0;
  double usd_per_million_output = 0;
  std::chrono::milliseconds timeout{120'000};
  uint32_t max_retries = 4;
  // The most time one request spends on all its attempts and the waits between them: a
  // retry that could not start within it is not made, and a retry's timeout is cut to what
  // is left (the first attempt always has its whole `timeout`).
  std::chrono::milliseconds max_retry_time{60'000};
  BreakerConfig breaker;  // per model entry, shared by every task using it
};

}  // namespace agents::llm
