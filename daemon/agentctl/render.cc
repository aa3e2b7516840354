#include "daemon/agentctl/render.h"

#include <algorithm>
#include <cstdio>

namespace agentctl {
namespace {

using nlohmann::json;

constexpr size_t kMaxValueChars = 80;
constexpr size_t kMaxLineChars = 240;

std::string shorten(std::string text, size_t limit) {
  if (text.size() <= limit) return text;
  // Do not cut a UTF-8 sequence in half: back up to a lead byte.
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "…";
}

// A data value as a short single-line string.
std::string short_value(const json& value) {
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  return shorten(printable(text, false), kMaxValueChars);
}

// "12:00:01.234" from "2026-01-01T12:00:01.234Z"; the whole text when it is not RFC 3339.
std::string clock_part(const json& at) {
  if (!at.is_string()) return "--:--:--.---";
  const std::string text = at.get<std::string>();
  const size_t t = text.find('T');
  if (t == std::string::npos) return printable(text, false);
  std::string clock = text.substr(t + 1);
  if (!clock.empty() && clock.back() == 'Z') clock.pop_back();
  return printable(clock, false);
}

// The interesting part of an event's data, per type, else its top-level scalars.
std::string data_summary(const std::string& type, const json& data) {
  if (!data.is_object()) return data.is_null() ? "" : short_value(data);
  if (type == "task.state" && data.contains("state")) return short_value(data["state"]);
  if (type == "task.finished") {
    std::string text = data.contains("state") ? short_value(data["state"]) : "";
    const json* result = data.contains("result") ? &data["result"] : nullptr;
    if (result && result->is_object() && result->contains("error") &&
        (*result)["error"].is_string() && !(*result)["error"].get<std::string>().empty())
      text += ": " + short_value((*result)["error"]);
    return text;
  }
  std::string text;
  for (const auto& [key, value] : data.items()) {
    if (value.is_object() || value.is_array()) continue;
    if (!text.empty()) text += ' ';
    text += printable(key, false) + "=" + short_value(value);
  }
  return text;
}

}  // namespace

std::string printable(const std::string& text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c == '\n' && keep_newlines) || c == '\t' || (byte >= 0x20 && byte != 0x7F)) {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    }
  }
  return out;
}

std::string event_line(const json& event) {
  if (!event.is_object()) return printable(event.dump(), false);
  const std::string type =
      event.contains("type") && event["type"].is_string() ? event["type"].get<std::string>() : "?";
  std::string line = clock_part(event.contains("at") ? event["at"] : json());
  line += " #" + (event.contains("seq") ? event["seq"].dump() : std::string("?"));
  if (event.contains("agent_id") && event["agent_id"].is_string() &&
      !event["agent_id"].get<std::string>().empty())
    line += " " + printable(event["agent_id"].get<std::string>(), false);
  line += " " + printable(type, false);
  const std::string summary = data_summary(type, event.contains("data") ? event["data"] : json());
  if (!summary.empty()) line += "  " + summary;
  return shorten(line, kMaxLineChars);
}

std::string answer_text(const json& answer) {
  if (answer.is_string()) return printable(answer.get<std::string>());
  return printable(answer.dump(2));
}

std::string run_failure(const json& result) {
  const std::string status = result.value("status", std::string("unknown"));
  const std::string error = result.value("error", std::string());
  std::string line;
  if (status == "ok" || status == "exit_nonzero") {
    line = "the program exited with status " + std::to_string(result.value("exit_code", -1));
  } else if (status == "signaled") {
    line = "the program was killed by signal " + std::to_string(result.value("signal", 0));
  } else {
    line = "the sandbox ended with status " + status;
  }
  if (!error.empty()) line += ": " + error;
  return printable(line, false);
}

std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace agentctl
