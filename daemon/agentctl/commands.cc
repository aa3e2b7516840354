#include "daemon/agentctl/commands.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "daemon/agentctl/follow.h"
#include "daemon/agentctl/render.h"
#include "daemon/agentctl/repository.h"

namespace agentctl {
namespace {

using base::Error;
using base::Expected;
using nlohmann::json;

constexpr std::streamsize kMaxInputBytes = 64 << 20;

// FILE or "-" for stdin, at most 64 MiB.
Expected<std::string> read_input(const std::string& path) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return Error{"cannot read " + path};
    in = &file;
  }
  std::string text;
  char chunk[65536];
  while (in->read(chunk, sizeof chunk) || in->gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in->gcount()));
    if (static_cast<std::streamsize>(text.size()) > kMaxInputBytes)
      return Error{(path == "-" ? std::string("stdin") : path) + " is larger than 64 MiB"};
  }
  if (in->bad()) return Error{"reading " + path + " failed"};
  return text;
}

std::string text_of(const json& value) {
  return value.is_string() ? printable(value.get<std::string>(), false)
         : value.is_null() ? ""
                           : printable(value.dump(), false);
}

// Connects, calls `method` once and prints its result as JSON (--json: one line; else
// indented). For commands with nothing better to show people.
int call_and_print(const Invocation& inv, Output io, const std::string& method, json params,
                   void (*human)(const json&, Output) = nullptr) {
  auto client = open_client(inv, io);
  if (!client) return kConnection;
  auto called = call_and_report(*client, method, std::move(params), io);
  if (!called.result) return called.status;
  if (inv.json)
    io.out << called.result->dump() << "\n";
  else if (human)
    human(*called.result, io);
  else
    io.out << printable(called.result->dump(2)) << "\n";
  return kSucceeded;
}

// A bundle makes a large request: a remote daemon would close the connection on one over its
// limits.max_message_bytes, so ask it first and say so plainly instead.
bool fits_the_server(RpcClient& client, const json& params, Output io) {
  auto info = call_and_report(client, "server.info", json::object(), io);
  if (!info.result) return false;
  const json limits = info.result->value("limits", json::object());
  const uint64_t most = limits.is_object() ? limits.value("max_message_bytes", uint64_t(0)) : 0;
  const uint64_t size = params.dump().size() + 64;  // the JSON-RPC envelope around params
  if (most == 0 || size <= most) return true;
  io.err << "agentctl: the task with its repository bundle is " << size
         << " bytes, over the server's limit of " << most
         << " (limits.max_message_bytes): ask its operator to raise it, or run agentctl on "
            "the daemon's host\n";
  return false;
}

int submit(const Invocation& inv, Output io) {
  auto text = read_input(inv.arguments[0]);
  if (!text) {
    io.err << "agentctl: " << text.error().message << "\n";
    return kUsage;
  }
  json spec = json::parse(*text, nullptr, false, /*ignore_comments=*/true);
  if (spec.is_discarded() || !spec.is_object()) {
    io.err << "agentctl: " << inv.arguments[0] << ": expected a JSON object (a task spec)\n";
    return kUsage;
  }
  const bool local = is_local(inv.endpoint);
  if (auto applied = apply_repository_options(spec, inv, local, git_bundle_base64); !applied) {
    io.err << "agentctl: " << applied.error().message << "\n";
    return kUsage;
  }
  json params = {{"spec", std::move(spec)}};
  if (inv.idempotency_key) params["idempotency_key"] = *inv.idempotency_key;
  auto client = open_client(inv, io);
  if (!client) return kConnection;
  if (inv.repo && !local && !fits_the_server(*client, params, io)) return kUsage;
  auto called = call_and_report(*client, "task.submit", std::move(params), io);
  if (!called.result) return called.status;
  const std::string task_id = called.result->value("task_id", "");
  if (task_id.empty()) {
    io.err << "agentctl: task.submit answered without a task_id\n";
    return kConnection;
  }
  if (!inv.follow) {
    if (inv.json)
      io.out << called.result->dump() << "\n";
    else
      io.out << printable(task_id, false) << "\n";
    return kSucceeded;
  }
  if (!inv.json) io.err << "task " << printable(task_id, false) << " submitted\n";
  return follow_task(inv, std::move(client), task_id, io);
}

void show_task(const json& task, Output io) {
  std::vector<std::vector<std::string>> rows;
  for (const char* key :
       {"task_id", "state", "created_at", "started_at", "finished_at", "last_seq"})
    if (task.contains(key)) rows.push_back({key, text_of(task[key])});
  if (task.contains("usage")) rows.push_back({"usage", text_of(task["usage"])});
  io.out << table(rows);
  if (!task.contains("result") || !task["result"].is_object()) return;
  const json& result = task["result"];
  if (result.contains("error") && !text_of(result["error"]).empty())
    io.out << "error       " << text_of(result["error"]) << "\n";
  if (result.contains("answer") && !result["answer"].is_null())
    io.out << "answer:\n" << answer_text(result["answer"]) << "\n";
}

// The patch as it is, so that `agentctl get ID --patch | git apply` takes it; on a terminal,
// with control sequences escaped like everything else from the server.
int print_patch(const Invocation& inv, Output io) {
  auto client = open_client(inv, io);
  if (!client) return kConnection;
  auto called = call_and_report(*client, "task.get", {{"task_id", inv.arguments[0]}}, io);
  if (!called.result) return called.status;
  auto patch = patch_of(*called.result);
  if (!patch) {
    io.err << "agentctl: " << printable(patch.error().message, false) << "\n";
    return kTaskFailed;
  }
  if (inv.json)
    io.out << (*called.result)["result"]["repository"].dump() << "\n";
  else
    io.out << (isatty(STDOUT_FILENO) ? printable(*patch) : *patch);
  return kSucceeded;
}

int get(const Invocation& inv, Output io) {
  if (inv.patch) return print_patch(inv, io);
  return call_and_print(inv, io, "task.get", {{"task_id", inv.arguments[0]}}, show_task);
}

int list(const Invocation& inv, Output io) {
  json params = json::object();
  if (inv.state) params["state"] = *inv.state;
  if (inv.limit) params["limit"] = *inv.limit;
  if (inv.before) params["before"] = *inv.before;
  auto client = open_client(inv, io);
  if (!client) return kConnection;
  auto called = call_and_report(*client, "task.list", std::move(params), io);
  if (!called.result) return called.status;
  const json tasks = called.result->value("tasks", json::array());
  if (inv.json) {
    for (const json& task : tasks) io.out << task.dump() << "\n";
    return kSucceeded;
  }
  std::vector<std::vector<std::string>> rows = {{"TASK", "STATE", "PATTERN", "CREATED", "PROMPT"}};
  for (const json& task : tasks)
    rows.push_back({text_of(task.value("task_id", json())), text_of(task.value("state", json())),
                    text_of(task.value("pattern", json())),
                    text_of(task.value("created_at", json())),
                    text_of(task.value("prompt_preview", json()))});
  io.out << table(rows);
  if (called.result->contains("next") && (*called.result)["next"].is_string())
    io.out << "more: agentctl list --before " << text_of((*called.result)["next"]) << "\n";
  return kSucceeded;
}

int cancel(const Invocation& inv, Output io) {
  return call_and_print(inv, io, "task.cancel", {{"task_id", inv.arguments[0]}},
                        [](const json& result, Output out) {
                          out.out << text_of(result.value("task_id", json())) << " "
                                  << text_of(result.value("state", json())) << "\n";
                        });
}

int feedback(const Invocation& inv, Output io) {
  json params = {{"task_id", inv.arguments[0]}, {"message", inv.arguments[1]}};
  if (inv.agent) params["agent_id"] = *inv.agent;
  return call_and_print(inv, io, "task.feedback", std::move(params),
                        [](const json& result, Output out) {
                          out.out << "delivered to "
                                  << text_of(result.value("delivered_to", json())) << " agent(s)\n";
                        });
}

int exec(const Invocation& inv, Output io) {
  auto code = read_input(inv.arguments[0]);
  if (!code) {
    io.err << "agentctl: " << code.error().message << "\n";
    return kUsage;
  }
  json params = {{"policy", *inv.policy}, {"language", *inv.language}, {"code", *code}};
  if (inv.stdin_file) {
    auto stdin_text = read_input(*inv.stdin_file);
    if (!stdin_text) {
      io.err << "agentctl: " << stdin_text.error().message << "\n";
      return kUsage;
    }
    params["stdin"] = *stdin_text;
  }
  if (inv.timeout) params["timeout"] = *inv.timeout;
  auto client = open_client(inv, io);
  if (!client) return kConnection;
  auto called = call_and_report(*client, "exec.run", std::move(params), io);
  if (!called.result) return called.status;
  const json& result = *called.result;
  const bool ok = result.value("status", "") == "ok" && result.value("exit_code", -1) == 0;
  if (inv.json) {
    io.out << result.dump() << "\n";
    return ok ? kSucceeded : kTaskFailed;
  }
  // The program's own output, as it wrote it (minus terminal control sequences).
  io.out << printable(result.value("stdout", std::string()));
  io.err << printable(result.value("stderr", std::string()));
  if (!ok) io.err << "agentctl: " << run_failure(result) << "\n";
  return ok ? kSucceeded : kTaskFailed;
}

void show_policies(const json& result, Output io) {
  std::vector<std::vector<std::string>> rows = {{"POLICY", "GPU", "TOOLS", "DESCRIPTION"}};
  for (const json& policy : result.value("policies", json::array())) {
    std::string tools;
    for (const json& tool : policy.value("tools", json::array()))
      tools += (tools.empty() ? "" : ",") + text_of(tool);
    rows.push_back({text_of(policy.value("name", json())), text_of(policy.value("gpu", json())),
                    tools, text_of(policy.value("description", json()))});
  }
  io.out << table(rows);
}

}  // namespace

int run_command(const Invocation& inv, Output io) {
  const std::string& command = inv.command;
  if (command == "submit") return submit(inv, io);
  if (command == "get") return get(inv, io);
  if (command == "list") return list(inv, io);
  if (command == "cancel") return cancel(inv, io);
  if (command == "feedback") return feedback(inv, io);
  if (command == "exec") return exec(inv, io);
  if (command == "policies")
    return call_and_print(inv, io, "policy.list", json::object(), show_policies);
  if (command == "info") return call_and_print(inv, io, "server.info", json::object());
  io.err << "agentctl: unknown command " << command << "\n";
  return kUsage;
}

}  // namespace agentctl
