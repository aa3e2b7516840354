// How tasks and their events look on the wire (docs/protocol.md): task.event params, the
// notification frame, task.get and task.list entries, RFC 3339 times.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "agents/llm/chat.h"
#include "daemon/journal_schema.h"

namespace agentd {

int64_t now_ms();
// "2026-11-28T16:15:45.123Z"
std::string rfc3339_ms(int64_t ms_since_epoch);
// "2026-11-28": the UTC day quotas count tokens in.
std::string utc_day(int64_t ms_since_epoch);

// task.event params as JSON text (journalled as is, so a replay sends the same bytes).
std::string event_params_text(const std::string& task_id, uint64_t seq, const std::string& type,
                              const std::string& agent_id, int64_t at_ms,
                              const nlohmann::json& data);
// The task.event notification carrying `params_text`.
std::shared_ptr<const std::string> event_frame(const std::string& params_text);

nlohmann::json usage_json(const agents::llm::Usage& usage);
// The first 120 characters of the prompt, cut at a UTF-8 boundary.
std::string prompt_preview(std::string_view prompt);

// task.list entry: {task_id, state, created_at, pattern, prompt_preview}.
nlohmann::json task_summary(const journal_schema::TaskRow& row);
// task.get result: {task_id, state, created_at, started_at?, finished_at?, spec, result?, usage,
// last_seq}.
nlohmann::json task_details(const journal_schema::TaskRow& row);

// A JSON text from the journal; null when it is empty or unreadable.
nlohmann::json parse_stored(const std::string& text);

}  // namespace agentd
