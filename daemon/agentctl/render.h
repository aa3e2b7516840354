// How agentctl shows things to people. Everything that came from the server (and so maybe
// from an LLM or a sandboxed program) is stripped of terminal control sequences first:
// a model's output must not be able to rewrite the user's terminal.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace agentctl {

// Control characters other than newline and tab shown as \xNN; invalid UTF-8 left as is.
std::string printable(const std::string& text, bool keep_newlines = true);

// One line for a task.event's params: "12:00:01.234 #7 worker-2 tool.call tool=run_code ...".
std::string event_line(const nlohmann::json& event);

// A task's answer: a string as its text, anything else as indented JSON.
std::string answer_text(const nlohmann::json& answer);

// Why an exec.run result is not a success, for people: the program's exit status or signal, or
// the sandbox's status and its error text ("setup_error: mount /proc: Permission denied").
std::string run_failure(const nlohmann::json& result);

// A table of rows (first row: headings), columns padded to their widest cell.
std::string table(const std::vector<std::vector<std::string>>& rows);

}  // namespace agentctl
