#include "agents/llm/stream.h"

#include <iterator>

#include "agents/llm/openai.h"

namespace agents::llm {

using nlohmann::json;

namespace {
constexpr std::size_t kBodyPrefixBytes = 4096;
}  // namespace

StreamAccumulator::StreamAccumulator(std::function<void(std::string_view)> on_token)
    : on_token_(std::move(on_token)),
      parser_([this](std::string_view data) { return take_event(data); }) {}

bool StreamAccumulator::feed(std::string_view bytes) {
  if (body_prefix_.size() < kBodyPrefixBytes) {
    body_prefix_.append(bytes.substr(0, kBodyPrefixBytes - body_prefix_.size()));
  }
  if (!error_.empty()) return false;
  if (done_) return true;  // bytes after [DONE] are ignored
  if (!parser_.feed(bytes)) return fail(parser_.error());
  return true;
}

base::Expected<ChatResponse> StreamAccumulator::finish() {
  if (error_.empty() && !done_ && !parser_.finish()) fail(parser_.error());
  if (!error_.empty()) return base::Error{"malformed stream: " + error_};
  // Some servers end without [DONE]; a finish_reason is then the sign of a complete answer.
  if (!done_ && finish_reason_.empty()) {
    return base::Error{"the stream ended before the answer was complete"};
  }
  ChatResponse response;
  response.message.role = "assistant";
  response.message.content = std::move(content_);
  for (auto& [index, call] : tool_calls_) {
    if (call.name.empty()) {
      return base::Error{"malformed stream: a tool call has no function name"};
    }
    response.message.tool_calls.push_back(std::move(call));
  }
  response.finish_reason = std::move(finish_reason_);
  response.usage = usage_;
  return response;
}

bool StreamAccumulator::fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
  return false;
}

bool StreamAccumulator::deliver(std::string_view delta) {
  // on_token runs inside libcurl's write callback, which an exception must not cross.
  try {
    on_token_(delta);
    return true;
  } catch (const std::exception& error) {
    return fail(std::string("on_token threw: ") + error.what());
  } catch (...) {
    return fail("on_token threw");
  }
}

bool StreamAccumulator::take_event(std::string_view data) {
  if (done_) return true;
  if (data == "[DONE]") {
    done_ = true;
    return true;
  }
  const json chunk = json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (chunk.is_discarded()) return fail("a data line is not JSON (" + error_excerpt(data) + ")");
  if (!chunk.is_object()) return fail("a chunk is not a JSON object");
  if (chunk.contains("error")) return fail("the server reported an error: " + error_excerpt(data));
  return take_chunk(chunk);
}

bool StreamAccumulator::take_chunk(const json& chunk) {
  if (const auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
    usage_ = parse_usage(*usage);
  }
  const auto choices = chunk.find("choices");
  if (choices == chunk.end() || choices->is_null()) return true;
  if (!choices->is_array()) return fail("\"choices\" is not a list");
  if (choices->empty()) return true;  // the usage chunk
  const json& choice = choices->front();
  if (!choice.is_object()) return fail("choices[0] is not an object");
  if (const auto finish = choice.find("finish_reason");
      finish != choice.end() && finish->is_string()) {
    finish_reason_ = *finish;
  }
  const auto delta = choice.find("delta");
  if (delta == choice.end() || delta->is_null()) return true;
  if (!delta->is_object()) return fail("choices[0].delta is not an object");
  if (const auto content = delta->find("content"); content != delta->end()) {
    auto text = content_text(*content);
    if (!text) return fail(text.error().message);
    if (!text->empty()) {
      content_ += *text;
      ++deltas_delivered_;
      if (on_token_ && !deliver(*text)) return false;
    }
  }
  return take_tool_call_delta(*delta);
}

uint64_t StreamAccumulator::delta_index(const json& entry) const {
  const auto index = entry.find("index");
  if (index != entry.end() && index->is_number_unsigned()) return index->get<uint64_t>();
  // No index (a lax server): a delta with a new id starts a call, others continue the last.
  if (tool_calls_.empty()) return 0;
  const auto last = std::prev(tool_calls_.end());
  const auto id = entry.find("id");
  const bool new_id = id != entry.end() && id->is_string() && *id != last->second.id;
  return new_id ? last->first + 1 : last->first;
}

bool StreamAccumulator::take_tool_call_delta(const json& delta) {
  const auto calls = delta.find("tool_calls");
  if (calls == delta.end() || calls->is_null()) return true;
  if (!calls->is_array()) return fail("delta.tool_calls is not a list");
  for (const auto& entry : *calls) {
    if (!entry.is_object()) return fail("a tool-call delta is not an object");
    ToolCall& call = tool_calls_[delta_index(entry)];
    if (const auto id = entry.find("id"); id != entry.end() && id->is_string() && call.id.empty()) {
      call.id = *id;
    }
    const auto function = entry.find("function");
    if (function == entry.end() || !function->is_object()) continue;
    if (const auto name = function->find("name");
        name != function->end() && name->is_string() && call.name.empty()) {
      call.name = *name;
    }
    if (const auto arguments = function->find("arguments");
        arguments != function->end() && arguments->is_string()) {
      call.arguments += arguments->get_ref<const std::string&>();
    }
  }
  return true;
}

}  // namespace agents::llm
