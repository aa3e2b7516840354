#include "daemon/task_json.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "daemon/rpc.h"

namespace agentd {

using nlohmann::json;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339_ms(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  return text;
}

std::string utc_day(int64_t ms) {
  return rfc3339_ms(ms).substr(0, 10);
}

std::string event_params_text(const std::string& task_id, uint64_t seq, const std::string& type,
                              const std::string& agent_id, int64_t at_ms, const json& data) {
  json params{{"task_id", task_id},
              {"seq", seq},
              {"type", type},
              {"at", rfc3339_ms(at_ms)},
              {"data", data}};
  if (!agent_id.empty()) params["agent_id"] = agent_id;
  return rpc::dump(params);
}

std::shared_ptr<const std::string> event_frame(const std::string& params_text) {
  return std::make_shared<const std::string>(R"({"jsonrpc":"2.0","method":"task.event","params":)" +
                                             params_text + "}");
}

json usage_json(const agents::llm::Usage& usage) {
  return json{{"prompt_tokens", usage.prompt_tokens},
              {"completion_tokens", usage.completion_tokens},
              {"cached_tokens", usage.cached_tokens},
              {"reasoning_tokens", usage.reasoning_tokens},
              {"total_tokens", usage.total_tokens()},
              {"cost_usd", usage.cost_usd},
              {"requests", usage.requests}};
}

std::string prompt_preview(std::string_view prompt) {
  constexpr size_t kChars = 120;
  size_t bytes = 0;
  size_t chars = 0;
  while (bytes < prompt.size() && chars < kChars) {
    const auto lead = static_cast<unsigned char>(prompt[bytes]);
    const size_t length = lead < 0x80    ? 1
                          : lead >= 0xF0 ? 4
                          : lead >= 0xE0 ? 3
                          : lead >= 0xC0 ? 2
                                         : 1;
    if (bytes + length > prompt.size()) break;
    bytes += length;
    ++chars;
  }
  std::string preview(prompt.substr(0, bytes));
  if (bytes < prompt.size()) preview += "…";
  return preview;
}

json parse_stored(const std::string& text) {
  if (text.empty()) return nullptr;
  json value = json::parse(text, nullptr, false);
  return value.is_discarded() ? json(nullptr) : value;
}

json task_summary(const journal_schema::TaskRow& row) {
  return json{{"task_id", row.id},
              {"state", row.state},
              {"created_at", rfc3339_ms(row.created_at)},
              {"pattern", row.pattern},
              {"prompt_preview", row.prompt_preview}};
}

json task_details(const journal_schema::TaskRow& row) {
  json details{{"task_id", row.id},
               {"state", row.state},
               {"created_at", rfc3339_ms(row.created_at)},
               {"spec", parse_stored(row.spec)},
               {"last_seq", row.last_seq}};
  if (row.started_at) details["started_at"] = rfc3339_ms(*row.started_at);
  if (row.finished_at) details["finished_at"] = rfc3339_ms(*row.finished_at);
  if (!row.result.empty()) details["result"] = parse_stored(row.result);
  json usage = parse_stored(row.usage);
  details["usage"] = usage.is_null() ? usage_json({}) : usage;
  return details;
}

}  // namespace agentd
