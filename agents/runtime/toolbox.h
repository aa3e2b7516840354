// One agent's tools: each call is checked against the agent's ToolScope first (a refusal goes
// back to the model and into the audit, and the call never reaches a sandbox, a file or the
// network), then executed: run_code in a sandbox on the agent's workspace, the file tools
// through openat2 beneath it (the coding tools too: edit_file, search, apply_patch, with
// every path they touch checked against the scope), http_get under the policy's host
// allowlist, git_diff from the task's repository. Results come back
// as text for the model, cut to the runtime's limit. Every call, result and refusal is an
// event. final_answer is the agent loop's business, not the toolbox's. A policy that grants
// GPUs gets them for each run_code sandbox: leased from the environment's GpuProvider before
// the run (after any shared-resource token, so that no GPU holder ever waits for a token)
// and given back when the sandbox exits.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agents/llm/chat.h"
#include "agents/runtime/gpu_provider.h"
#include "agents/tools/workspace.h"
#include "policies/compile.h"

namespace agents::runtime {

class TaskContext;

// The GPUs `policy` grants one sandbox of `agent_id`, leased (gpu.* events as that agent's)
// and held until the returned hold goes; an empty hold for a policy granting none (its
// sandbox's Spec then hides the host's: SandboxSpecBuilder::build). An error for the model
// (also a gpu.failed event) says why none were granted. Cancellation throws
// operation_aborted, as a cancelled sandbox run does. run_code and best_of_n's candidate
// tests share it.
boost::asio::awaitable<base::Expected<GpuHold>> lease_gpus_for_sandbox(
    TaskContext& task, const std::string& agent_id, const policies::Compiled& policy);

struct ToolCallOutcome {
  std::string content;  // the tool message's content
  enum class Kind { ok, failed, refused, invalid } kind = Kind::ok;
};

// What the agent did with its tools, for validation before aggregation.
struct ToolAudit {
  enum class Verdict {
    allowed,    // checked against the scope and run
    refused,    // the scope refused it, or the tool does not exist: never ran
    malformed,  // arguments that are not a JSON object or do not fit the tool: never ran,
                // and not a policy breach (validation ignores it)
  };
  std::string tool;
  Verdict verdict = Verdict::allowed;
  std::string reason;
};

class Toolbox {
 public:
  Toolbox(TaskContext& task, std::string agent_id, std::shared_ptr<const policies::Compiled> policy,
          std::filesystem::path workspace);

  // Runs one call whose arguments parsed as a JSON object. Cancellable (sandbox killed,
  // request aborted): throws operation_aborted then.
  boost::asio::awaitable<ToolCallOutcome> call(const llm::ToolCall& call,
                                               const nlohmann::json& arguments);

  // Calls that never ran: an unknown tool (audited as refused), arguments that are not a
  // JSON object or do not fit the tool (malformed: a tool.invalid event, `why` to the model).
  ToolCallOutcome unknown_tool(const llm::ToolCall& call);
  ToolCallOutcome malformed(const llm::ToolCall& call, std::string why);

  const std::vector<ToolAudit>& audit() const { return audit_; }

 private:
  boost::asio::awaitable<ToolCallOutcome> run_code(const nlohmann::json& arguments);
  boost::asio::awaitable<ToolCallOutcome> http_get(const nlohmann::json& arguments);
  ToolCallOutcome file_tool(policies::Tool tool, const nlohmann::json& arguments);
  // The coding tools (toolbox_code_tools.cc): file work runs on the task's blocking executor.
  boost::asio::awaitable<ToolCallOutcome> code_tool(policies::Tool tool,
                                                    const nlohmann::json& arguments);
  boost::asio::awaitable<ToolCallOutcome> edit_file(const nlohmann::json& arguments);
  boost::asio::awaitable<ToolCallOutcome> search(const nlohmann::json& arguments);
  boost::asio::awaitable<ToolCallOutcome> apply_patch(const nlohmann::json& arguments);
  boost::asio::awaitable<ToolCallOutcome> git_diff(const nlohmann::json& arguments);
  // The agent's workspace, opened the first time a file tool needs it; or why not, for the
  // model, after `tool`'s name.
  base::Expected<const tools::Workspace*> open_workspace(policies::Tool tool);
  // Creates the agent's workspace (TaskContext::make_workspace) the first time a tool needs it.
  base::Status make_workspace();
  ToolCallOutcome refuse(const std::string& tool, std::string reason);
  ToolCallOutcome finish(const std::string& tool, ToolCallOutcome outcome);

  TaskContext& task_;
  std::string agent_id_;
  std::shared_ptr<const policies::Compiled> policy_;
  std::filesystem::path workspace_dir_;
  bool workspace_made_ = false;
  std::optional<tools::Workspace> workspace_;
  std::vector<ToolAudit> audit_;
};

}  // namespace agents::runtime
