#include "agents/runtime/toolbox.h"

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agents/runtime/run_code.h"
#include "agents/runtime/sandbox_spec.h"
#include "agents/runtime/task_context.h"
#include "agents/runtime/truncate.h"
#include "agents/tools/http_get.h"
#include "base/coroutine_warning.h"
#include "base/strings.h"
#include "sandbox/runner.h"

AGENTD_COROUTINE_FRAMES_BEGIN  // base/coroutine_warning.h says why

    namespace agents::runtime {
  namespace asio = boost::asio;
  using nlohmann::json;
  using policies::Tool;

  namespace {

  // A string argument, or nullopt (the caller words the error).
  std::optional<std::string> string_arg(const json& arguments, const char* name) {
    auto it = arguments.find(name);
    if (it == arguments.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  }

  // What the scope judges of a call (ToolScope::check): run_code's language, http_get's URL,
  // a file tool's path, where list_files' "." (the whole workspace) is the empty path.
  std::string subject_of(Tool tool, const json& arguments) {
    if (tool == Tool::run_code) return string_arg(arguments, "language").value_or("");
    if (tool == Tool::http_get) return string_arg(arguments, "url").value_or("");
    const std::string path = string_arg(arguments, "path").value_or("");
    return tool == Tool::list_files && path == "." ? "" : path;
  }

  std::string dump(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
  }

  std::string kind_name(ToolCallOutcome::Kind kind) {
    switch (kind) {
      case ToolCallOutcome::Kind::ok:
        return "ok";
      case ToolCallOutcome::Kind::failed:
        return "failed";
      case ToolCallOutcome::Kind::refused:
        return "refused";
      case ToolCallOutcome::Kind::invalid:
        return "invalid";
    }
    return "failed";
  }

  }  // namespace

  Toolbox::Toolbox(TaskContext & task, std::string agent_id,
                   std::shared_ptr<const policies::Compiled> policy,
                   std::filesystem::path workspace)
      : task_(task),
        agent_id_(std::move(agent_id)),
        policy_(std::move(policy)),
        workspace_dir_(std::move(workspace)) {}

  base::Status Toolbox::make_workspace() {
    if (workspace_made_ || workspace_dir_.empty()) return base::Ok{};
    auto made = task_.make_workspace(agent_id_);
    if (!made) return base::Error{"workspace: " + made.error().message};
    workspace_made_ = true;
    return base::Ok{};
  }

  ToolCallOutcome Toolbox::unknown_tool(const llm::ToolCall& call) {
    const std::string name = base::valid_utf8(truncate_for_model(call.name, 64, "name"));
    return refuse(name, "unknown tool " + dump(json(name)) + "; use one of the tools offered");
  }

  ToolCallOutcome Toolbox::malformed(const llm::ToolCall& call, std::string why) {
    const std::string name = base::valid_utf8(truncate_for_model(call.name, 64, "name"));
    audit_.push_back({name, ToolAudit::Verdict::malformed, why});
    task_.emit("tool.invalid", agent_id_, {{"tool", name}, {"reason", why}});
    return {std::move(why), ToolCallOutcome::Kind::invalid};
  }

  ToolCallOutcome Toolbox::refuse(const std::string& tool, std::string reason) {
    audit_.push_back({tool, ToolAudit::Verdict::refused, reason});
    task_.emit("tool.refused", agent_id_, {{"tool", tool}, {"reason", reason}});
    return {"refused by policy \"" + policy_->scope.policy_name + "\": " + reason,
            ToolCallOutcome::Kind::refused};
  }

  ToolCallOutcome Toolbox::finish(const std::string& tool, ToolCallOutcome outcome) {
    outcome.content = truncate_for_model(outcome.content, task_.env.options.max_tool_result_chars);
    task_.emit(
        "tool.result", agent_id_,
        {{"tool", tool}, {"outcome", kind_name(outcome.kind)}, {"chars", outcome.content.size()}});
    return outcome;
  }

  asio::awaitable<ToolCallOutcome> Toolbox::call(const llm::ToolCall& call, const json& args) {
    task_.emit("tool.call", agent_id_,
               {{"tool", call.name}, {"call_id", base::valid_utf8(call.id)}});
    const std::optional<Tool> tool = policies::parse_tool(call.name);
    if (!tool) co_return refuse(call.name, "unknown tool");
    if (auto refusal = policy_->scope.check(*tool, subject_of(*tool, args)))
      co_return refuse(call.name, refusal->reason);
    audit_.push_back({call.name, ToolAudit::Verdict::allowed, ""});
    ToolCallOutcome outcome;
    if (*tool == Tool::run_code)
      outcome = co_await run_code(args);
    else if (*tool == Tool::http_get)
      outcome = co_await http_get(args);
    else if (*tool == Tool::edit_file || *tool == Tool::search || *tool == Tool::apply_patch ||
             *tool == Tool::git_diff)
      outcome = co_await code_tool(*tool, args);
    else
      outcome = file_tool(*tool, args);
    co_return finish(call.name, std::move(outcome));
  }

  asio::awaitable<ToolCallOutcome> Toolbox::run_code(const json& args) {
    RunCodeRequest request;
    request.language = *policies::parse_language(string_arg(args, "language").value_or(""));
    auto code = string_arg(args, "code");
    if (!code)
      co_return ToolCallOutcome{"run_code: \"code\" must be a string",
                                ToolCallOutcome::Kind::failed};
    request.code = std::move(*code);
    request.stdin_data = string_arg(args, "stdin").value_or("");
    if (auto made = make_workspace(); !made)
      co_return ToolCallOutcome{"run_code: " + made.error().message, ToolCallOutcome::Kind::failed};
    request.workspace = workspace_dir_;
    TokenQueue::Hold hold;
    if (auto shared = string_arg(args, "shared")) {
      TokenQueue* token = task_.token(*shared);
      if (!token)
        co_return ToolCallOutcome{
            "run_code: the task has no shared resource " + dump(json(*shared)),
            ToolCallOutcome::Kind::failed};
      auto dir = task_.shared_directory(*shared);
      if (!dir) co_return ToolCallOutcome{dir.error().message, ToolCallOutcome::Kind::failed};
      hold = co_await token->acquire(agent_id_);
      request.extra_mounts.push_back(
          {sandbox::MountType::rw_bind, dir->string(), "/shared/" + *shared, 0});
    }
    // The program is checked before any GPU is leased for it.
    auto builder = SandboxSpecBuilder::prepare(*policy_, request);
    if (!builder) co_return ToolCallOutcome{builder.error().message, ToolCallOutcome::Kind::failed};
    auto gpus = co_await lease_gpus_for_sandbox(task_, agent_id_, *policy_);
    if (!gpus) co_return ToolCallOutcome{gpus.error().message, ToolCallOutcome::Kind::failed};
    auto spec = std::move(*builder).build(*gpus, task_.env.gpus);
    if (!spec) co_return ToolCallOutcome{spec.error().message, ToolCallOutcome::Kind::failed};
    sandbox::Result result = co_await task_.env.runner.async_run(
        task_.env.executor, std::move(*spec), asio::use_awaitable);
    gpus->release();
    hold.release();
    task_.emit("sandbox.result", agent_id_,
               {{"tool", policies::to_string(Tool::run_code)},
                {"status", sandbox::to_string(result.status)},
                {"exit_code", result.exit_code},
                {"wall_ms", result.wall_ms},
                {"cpu_ms", result.cpu_ms},
                {"peak_memory_bytes", result.peak_memory_bytes}});
    const bool ran = result.status == sandbox::RunStatus::ok;
    co_return ToolCallOutcome{
        dump(run_result_for_model(result, task_.env.options.max_tool_result_chars)),
        ran ? ToolCallOutcome::Kind::ok : ToolCallOutcome::Kind::failed};
  }

  asio::awaitable<ToolCallOutcome> Toolbox::http_get(const json& args) {
    tools::HttpGetOptions options;
    options.resolve = task_.env.options.http_resolve;
    tools::HttpGetResult result =
        co_await tools::http_get(task_.env.http, policy_->scope.http_get,
                                 string_arg(args, "url").value_or(""), "GET", std::move(options));
    using Outcome = tools::HttpGetResult::Outcome;
    if (result.outcome == Outcome::cancelled)
      throw boost::system::system_error(asio::error::operation_aborted);
    if (result.outcome == Outcome::refused)
      co_return refuse(std::string(policies::to_string(Tool::http_get)), result.message);
    if (result.outcome == Outcome::failed)
      co_return ToolCallOutcome{"http_get failed: " + result.message,
                                ToolCallOutcome::Kind::failed};
    const size_t room = task_.env.options.max_tool_result_chars;
    json out = {{"status", result.status},
                {"content_type", base::valid_utf8(result.content_type)},
                {"final_url", base::valid_utf8(result.final_url)},
                {"body", base::valid_utf8(truncate_for_model(result.body, room * 3 / 4, "body"))}};
    if (result.truncated) out["body_capped"] = "the response was larger than the policy allows";
    co_return ToolCallOutcome{dump(out), ToolCallOutcome::Kind::ok};
  }

  base::Expected<const tools::Workspace*> Toolbox::open_workspace(Tool tool) {
    const std::string name(policies::to_string(tool));
    if (workspace_dir_.empty()) return base::Error{name + ": this agent has no workspace"};
    if (!workspace_) {
      if (auto made = make_workspace(); !made)
        return base::Error{name + ": " + made.error().message};
      auto opened = tools::Workspace::open(workspace_dir_.string());
      if (!opened) return base::Error{name + ": " + opened.error().message};
      workspace_.emplace(std::move(*opened));
    }
    return &*workspace_;
  }

  ToolCallOutcome Toolbox::file_tool(Tool tool, const json& args) {
    using Kind = ToolCallOutcome::Kind;
    auto opened = open_workspace(tool);
    if (!opened) return {opened.error().message, Kind::failed};
    const tools::Workspace* workspace = *opened;
    const std::string path = string_arg(args, "path").value_or("");
    if (tool == Tool::read_file) {
      auto content = workspace->read_file(path);
      if (!content) return {content.error().message, Kind::failed};
      std::string text = base::valid_utf8(content->data);
      if (content->truncated)
        text +=
            "\n[... file is " + std::to_string(content->size) + " bytes; only the start was read]";
      return {std::move(text), Kind::ok};
    }
    if (tool == Tool::write_file) {
      auto content = string_arg(args, "content");
      if (!content) return {"write_file: \"content\" must be a string", Kind::failed};
      if (auto s = workspace->write_file(path, *content); !s)
        return {s.error().message, Kind::failed};
      return {"wrote " + std::to_string(content->size()) + " bytes to " + dump(json(path)),
              Kind::ok};
    }
    auto listing = workspace->list_files(path == "." ? "" : path);
    if (!listing) return {listing.error().message, Kind::failed};
    json entries = json::array();
    for (const tools::DirEntry& entry : listing->entries) {
      const char* kind = entry.kind == tools::DirEntry::Kind::file        ? "file"
                         : entry.kind == tools::DirEntry::Kind::directory ? "dir"
                         : entry.kind == tools::DirEntry::Kind::symlink   ? "symlink"
                                                                          : "other";
      entries.push_back(
          {{"path", base::valid_utf8(entry.path)}, {"kind", kind}, {"size", entry.size}});
    }
    json out = {{"entries", std::move(entries)}};
    if (listing->truncated) out["truncated"] = true;
    return {dump(out), Kind::ok};
  }

  asio::awaitable<base::Expected<GpuHold>> lease_gpus_for_sandbox(
      TaskContext & task, const std::string& agent_id, const policies::Compiled& policy) {
    const policies::GpuScope& grant = policy.scope.gpu;
    if (grant.count == 0) co_return GpuHold{};
    auto failed = [&](std::string reason) -> base::Expected<GpuHold> {
      task.emit("gpu.failed", agent_id, {{"count", grant.count}, {"reason", reason}});
      return base::Error{"run_code: " + std::move(reason)};
    };
    if (!task.env.gpus) co_return failed(no_gpus_reason(policy.scope.policy_name, grant.count));
    // Named, not temporaries in the co_await: g++ 12 destroys a temporary lambda with
    // non-trivial captures twice there.
    GpuRequest request = gpu_request(grant, task.env.tenant, task.task_id, agent_id);
    GpuReport report = [&task, agent_id](const std::string& type, json data) {
      task.emit(type, agent_id, std::move(data));
    };
    auto held = co_await task.env.gpus->acquire(std::move(request), std::move(report));
    if (held) co_return std::move(held);
    // A cancelled agent ends its tool call the way a cancelled sandbox does.
    asio::cancellation_state cancelled = co_await asio::this_coro::cancellation_state;
    if (cancelled.cancelled() != asio::cancellation_type::none)
      throw boost::system::system_error(asio::error::operation_aborted);
    co_return failed(held.error().message);
  }

  AGENTD_COROUTINE_FRAMES_END

}  // namespace agents::runtime
