#include "agents/llm/openai.h"

#include <cctype>

namespace agents::llm {
namespace {

using nlohmann::json;

constexpr std::size_t kExcerptBytes = 300;

json tool_call_json(const ToolCall& call) {
  return {{"id", call.id},
          {"type", "function"},
          {"function", {{"name", call.name}, {"arguments", call.arguments}}}};
}

json message_json(const Message& message) {
  json out = {{"role", message.role}};
  if (!message.tool_calls.empty()) {
    // The API wants content null (not "") on an assistant turn that only calls tools.
    out["content"] = message.content.empty() ? json(nullptr) : json(message.content);
    out["tool_calls"] = json::array();
    for (const auto& call : message.tool_calls) out["tool_calls"].push_back(tool_call_json(call));
  } else {
    out["content"] = message.content;
  }
  if (!message.tool_call_id.empty()) out["tool_call_id"] = message.tool_call_id;
  return out;
}

json tool_json(const ToolDefinition& tool) {
  json function = {{"name", tool.name}, {"description", tool.description}};
  function["parameters"] = tool.parameters.is_null()
                               ? json{{"type", "object"}, {"properties", json::object()}}
                               : tool.parameters;
  return {{"type", "function"}, {"function", std::move(function)}};
}

json response_format_json(const ResponseFormat& format) {
  if (format.kind == ResponseFormat::Kind::json_object) return {{"type", "json_object"}};
  return {{"type", "json_schema"},
          {"json_schema",
           {{"name", format.name.empty() ? std::string("response") : format.name},
            {"schema", format.schema},
            {"strict", true}}}};
}

uint64_t count_at(const json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_number_unsigned() ? found->get<uint64_t>() : 0;
}

uint64_t nested_count(const json& usage, const char* details, const char* key) {
  const auto found = usage.find(details);
  return found != usage.end() && found->is_object() ? count_at(*found, key) : 0;
}

base::Expected<ToolCall> parse_tool_call(const json& entry) {
  if (!entry.is_object()) return base::Error{"a tool call is not an object"};
  const auto function = entry.find("function");
  if (function == entry.end() || !function->is_object()) {
    return base::Error{"a tool call has no \"function\" object"};
  }
  ToolCall call;
  if (const auto id = entry.find("id"); id != entry.end() && id->is_string()) call.id = *id;
  const auto name = function->find("name");
  if (name == function->end() || !name->is_string()) {
    return base::Error{"a tool call has no function name"};
  }
  call.name = *name;
  // Arguments are JSON text; some servers send the object itself, which is kept as text.
  if (const auto arguments = function->find("arguments"); arguments != function->end()) {
    call.arguments = arguments->is_string() ? arguments->get<std::string>() : arguments->dump();
  }
  return call;
}

base::Expected<Message> parse_message(const json& message) {
  if (!message.is_object()) return base::Error{"choices[0].message is not an object"};
  Message out;
  out.role = "assistant";
  auto text = content_text(message.contains("content") ? message["content"] : json(nullptr));
  if (!text) return text.error();
  out.content = std::move(*text);
  const auto calls = message.find("tool_calls");
  if (calls == message.end() || calls->is_null()) return out;
  if (!calls->is_array()) return base::Error{"choices[0].message.tool_calls is not a list"};
  for (const auto& entry : *calls) {
    auto call = parse_tool_call(entry);
    if (!call) return call.error();
    out.tool_calls.push_back(std::move(*call));
  }
  return out;
}

}  // namespace

json request_body(const ChatRequest& request, const ModelConfig& model, bool stream) {
  json body = {{"model", model.model}, {"messages", json::array()}};
  for (const auto& message : request.messages) body["messages"].push_back(message_json(message));
  if (!request.tools.empty()) {
    body["tools"] = json::array();
    for (const auto& tool : request.tools) body["tools"].push_back(tool_json(tool));
  }
  if (request.response_format.kind != ResponseFormat::Kind::text) {
    body["response_format"] = response_format_json(request.response_format);
  }
  if (request.temperature) body["temperature"] = *request.temperature;
  if (request.max_tokens) body["max_tokens"] = *request.max_tokens;
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  return body;
}

Usage parse_usage(const json& usage) {
  Usage out;
  if (!usage.is_object()) return out;
  out.prompt_tokens = count_at(usage, "prompt_tokens");
  out.completion_tokens = count_at(usage, "completion_tokens");
  out.cached_tokens = nested_count(usage, "prompt_tokens_details", "cached_tokens");
  out.reasoning_tokens = nested_count(usage, "completion_tokens_details", "reasoning_tokens");
  return out;
}

base::Expected<std::string> content_text(const json& content) {
  if (content.is_null()) return std::string();
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return base::Error{"message content is neither text nor a list"};
  std::string text;
  for (const auto& part : content) {
    if (!part.is_object()) return base::Error{"a message content part is not an object"};
    const auto part_text = part.find("text");
    if (part_text != part.end() && part_text->is_string()) {
      text += part_text->get_ref<const std::string&>();
    }
  }
  return text;
}

base::Expected<ChatResponse> parse_response(std::string_view body) {
  const json document = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return base::Error{"malformed response: not JSON (" + error_excerpt(body) + ")"};
  }
  if (!document.is_object()) return base::Error{"malformed response: not a JSON object"};
  if (document.contains("error")) {
    return base::Error{"the server reported an error: " + error_excerpt(body)};
  }
  const auto choices = document.find("choices");
  if (choices == document.end() || !choices->is_array() || choices->empty()) {
    return base::Error{"malformed response: no choices"};
  }
  const json& choice = choices->front();
  if (!choice.is_object()) return base::Error{"malformed response: choices[0] is not an object"};
  auto message = parse_message(choice.contains("message") ? choice["message"] : json(nullptr));
  if (!message) return base::Error{"malformed response: " + message.error().message};
  ChatResponse response;
  response.message = std::move(*message);
  if (const auto finish = choice.find("finish_reason");
      finish != choice.end() && finish->is_string()) {
    response.finish_reason = *finish;
  }
  if (const auto usage = document.find("usage"); usage != document.end()) {
    response.usage = parse_usage(*usage);
  }
  return response;
}

std::string error_excerpt(std::string_view body) {
  std::string text(body);
  const json document = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_object() && document.contains("error")) {
    const json& error = document["error"];
    if (error.is_string()) {
      text = error.get<std::string>();
    } else if (error.is_object() && error.contains("message") && error["message"].is_string()) {
      text = error["message"].get<std::string>();
    }
  }
  std::string excerpt;
  for (const char c : text.substr(0, kExcerptBytes)) {
    excerpt += std::isprint(static_cast<unsigned char>(c)) ? c : ' ';
  }
  if (text.size() > kExcerptBytes) excerpt += "...";
  return excerpt.empty() ? std::string("empty body") : excerpt;
}

}  // namespace agents::llm
