#include "agents/runtime/agent.h"

#include <algorithm>
#include <boost/asio/this_coro.hpp>

#include "agents/llm/client.h"
#include "agents/runtime/json_schema.h"
#include "agents/runtime/nursery.h"
#include "agents/runtime/task_context.h"
#include "agents/runtime/tool_catalog.h"
#include "agents/runtime/truncate.h"
#include "base/coroutine_warning.h"
#include "base/json_strict.h"
#include "base/strings.h"

AGENTD_COROUTINE_FRAMES_BEGIN  // base/coroutine_warning.h says why

    namespace agents::runtime {
  namespace asio = boost::asio;
  using nlohmann::json;
  using Status = AgentOutcome::Status;

  std::string_view to_string(Status status) {
    switch (status) {
      case Status::answered:
        return "answered";
      case Status::failed:
        return "failed";
      case Status::budget_exhausted:
        return "budget_exhausted";
      case Status::cancelled:
        return "cancelled";
    }
    return "failed";
  }

  std::string AgentOutcome::answer_text() const {
    if (answer.is_string()) return answer.get<std::string>();
    return answer.dump(-1, ' ', false, json::error_handler_t::replace);
  }

  namespace {

  // A model that fails twice in a row (after the client's own retries) ends the agent.
  constexpr uint32_t kMaxConsecutiveModelErrors = 2;
  constexpr size_t kMaxParallelToolCalls = 8;

  asio::awaitable<bool> is_cancelled() {
    asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    co_return state.cancelled() != asio::cancellation_type::none;
  }

  // Why `raw` is not an acceptable final answer, or nullopt (and `answer` set).
  std::optional<std::string> accept_answer(const json& raw, const std::optional<json>& schema,
                                           json& answer) {
    if (!schema) {
      if (raw.is_null() || (raw.is_string() && raw.get_ref<const std::string&>().empty()))
        return "the answer is empty";
      answer = raw;
      return std::nullopt;
    }
    json value = raw;
    if (raw.is_string()) {  // models often hand JSON over as text: the whole text, no excerpt
      auto parsed = base::parse_json_strict(raw.get_ref<const std::string&>());
      if (!parsed && parsed.error().code == base::kNotJson)
        return "the answer must be JSON matching the schema; it is not JSON";
      if (!parsed) return "the answer is refused: " + parsed.error().message;
      value = std::move(*parsed);
    }
    std::vector<std::string> errors = validate(value, *schema);
    if (!errors.empty()) {
      std::string text = "the answer does not match the schema:";
      for (const std::string& e : errors) text += "\n- " + e;
      return text;
    }
    answer = std::move(value);
    return std::nullopt;
  }

  std::string system_prompt(const RoleSpec& role, const AgentSpec& spec) {
    std::string text = role.system_prompt.empty() ? spec.default_system_prompt : role.system_prompt;
    if (!text.empty()) text += "\n\n";
    text += "When you are done, call the final_answer tool with your answer.";
    if (spec.answer_schema)
      text += " The answer must be JSON matching this schema: " + spec.answer_schema->dump();
    return text;
  }

  class AgentLoop {
   public:
    AgentLoop(TaskContext& task, AgentSpec spec, const RoleSpec& role,
              std::shared_ptr<const policies::Compiled> policy, AgentOutcome& out)
        : task_(task),
          spec_(std::move(spec)),
          role_(role),
          policy_(std::move(policy)),
          out_(out),
          toolbox_(task, out.id, policy_, out.workspace) {}

    asio::awaitable<void> run() {
      const policies::ToolScope& scope = policy_->scope;
      CatalogOptions catalog_options;
      catalog_options.has_workspace = !out_.workspace.empty();
      catalog_options.tools_enabled = spec_.tools_enabled;
      for (const SharedResourceSpec& r : task_.spec.shared_resources)
        catalog_options.shared_resources.push_back(r.name);
      tools_ = tool_catalog(scope, catalog_options);
      messages_.push_back({"system", system_prompt(role_, spec_), {}, {}});
      messages_.push_back({"user", spec_.prompt, {}, {}});
      try {
        while (!done_) {
          if (co_await stopped()) co_return;
          if (!within_agent_budget(scope.budget)) co_return;
          deliver_feedback();
          co_await turn();
        }
      } catch (const boost::system::system_error& e) {
        // A cancelled wait (model, sandbox, token) may throw rather than return.
        if (e.code() != asio::error::operation_aborted) throw;
        end_stopped();
      }
    }

    const std::vector<ToolAudit>& audit() const { return toolbox_.audit(); }

   private:
    asio::awaitable<bool> stopped() {
      // No co_await inside && : g++ 12 miscompiles a co_await in a short-circuit operand.
      bool cancelled = task_.cancel_requested();
      if (!cancelled) cancelled = co_await is_cancelled();
      if (!cancelled) co_return false;
      end_stopped();
      co_return true;
    }

    // Ended from outside: the task's budget, or a cancellation.
    void end_stopped() {
      const bool budget = !task_.budget().exhausted().empty();
      end(budget ? Status::budget_exhausted : Status::cancelled,
          budget ? "task budget exhausted: " + task_.budget().exhausted() : "");
    }

    bool within_agent_budget(const policies::LlmBudget& budget) {
      if (out_.turns >= budget.max_turns) {
        end(Status::budget_exhausted,
            "max_turns (" + std::to_string(budget.max_turns) + ") reached");
        return false;
      }
      if (out_.usage.total_tokens() >= budget.max_tokens) {
        end(Status::budget_exhausted,
            "max_tokens (" + std::to_string(budget.max_tokens) + ") reached");
        return false;
      }
      return true;
    }

    void deliver_feedback() {
      for (std::string& text : task_.feedback().take(out_.id)) {
        task_.emit("feedback.delivered", out_.id, {{"chars", text.size()}});
        messages_.push_back({"user", "Feedback from the user: " + std::move(text), {}, {}});
      }
    }

    void end(Status status, std::string error = {}) {
      out_.status = status;
      out_.error = std::move(error);
      done_ = true;
    }

    asio::awaitable<void> turn() {
      llm::ChatRequest request;
      request.model = role_.model;
      request.messages = messages_;
      request.tools = tools_;
      request.temperature = spec_.temperature;
      request.task_id = task_.task_id;
      request.agent_id = out_.id;
      request.role = out_.role;
      request.events = &task_.sink();
      if (task_.env.options.stream_tokens)
        request.on_token = [&task = task_, id = out_.id](std::string_view delta) {
          task.emit("llm.delta", id, {{"text", base::valid_utf8(delta)}});
        };
      ++out_.turns;
      auto response = co_await task_.env.llm.chat(std::move(request));
      if (co_await stopped()) co_return;
      if (!response) {
        task_.emit("agent.error", out_.id, {{"error", response.error().message}});
        if (++consecutive_errors_ >= kMaxConsecutiveModelErrors)
          // The client's message already names the model ("model cheap: gave up after ...").
          end(Status::failed, response.error().message);
        co_return;
      }
      consecutive_errors_ = 0;
      out_.usage += response->usage;
      task_.charge(response->usage);
      llm::Message reply = std::move(response->message);
      reply.role = "assistant";
      messages_.push_back(reply);
      if (reply.tool_calls.empty()) {
        answer_from_content(reply.content);
        co_return;
      }
      co_await run_tool_calls(reply.tool_calls);
    }

    void answer_from_content(const std::string& content) {
      json answer;
      if (auto why = accept_answer(json(content), spec_.answer_schema, answer)) {
        task_.emit("answer.rejected", out_.id, {{"reason", *why}});
        messages_.push_back({"user",
                             "Your answer was not accepted: " + *why +
                                 "\nCall final_answer with a corrected answer.",
                             {},
                             {}});
        return;
      }
      out_.answer = std::move(answer);
      end(Status::answered);
    }

    asio::awaitable<void> run_tool_calls(const std::vector<llm::ToolCall>& calls) {
      std::vector<ToolCallOutcome> results(calls.size());
      std::vector<json> arguments(calls.size());
      std::vector<size_t> runnable;
      std::optional<size_t> final_call;
      for (size_t i = 0; i < calls.size(); ++i) {
        const llm::ToolCall& call = calls[i];
        // Strictly: a final answer, or a path, must not read one way here and another way
        // to whoever reads the call in the transcript (see base/json_strict.h).
        auto parsed = base::parse_json_strict(call.arguments.empty() ? "{}" : call.arguments);
        if (parsed) arguments[i] = std::move(*parsed);
        if (!is_known_tool(call.name)) {
          results[i] = toolbox_.unknown_tool(call);
        } else if (!parsed && parsed.error().code == base::kJsonRefused) {
          results[i] =
              toolbox_.malformed(call, "the arguments are refused: " + parsed.error().message);
        } else if (!arguments[i].is_object()) {
          results[i] = toolbox_.malformed(
              call, "the arguments are not a JSON object: " +
                        base::valid_utf8(truncate_for_model(call.arguments, 200)));
        } else if (auto why = argument_error(call.name, arguments[i]); why && offered(call.name)) {
          // Before the budget: a call that cannot run costs the model a turn, not a tool call.
          // (A tool the agent was not offered is the scope's to refuse, whatever its arguments.)
          results[i] = toolbox_.malformed(call, std::move(*why));
        } else if (call.name == kFinalAnswer) {
          final_call = i;
        } else if (out_.tool_calls >= policy_->scope.budget.max_tool_calls) {
          results[i] = {"tool call budget exhausted", ToolCallOutcome::Kind::refused};
          end(Status::budget_exhausted, "max_tool_calls (" +
                                            std::to_string(policy_->scope.budget.max_tool_calls) +
                                            ") reached");
        } else {
          ++out_.tool_calls;
          runnable.push_back(i);
        }
      }
      if (!co_await execute(calls, arguments, runnable, results)) co_return;
      if (final_call) results[*final_call] = final_answer(arguments[*final_call]);
      for (size_t i = 0; i < calls.size(); ++i)
        messages_.push_back({"tool", std::move(results[i].content), {}, calls[i].id});
    }

    bool offered(const std::string& tool) const {
      return std::any_of(tools_.begin(), tools_.end(),
                         [&](const llm::ToolDefinition& offer) { return offer.name == tool; });
    }

    // Independent calls of one turn run in parallel, kMaxParallelToolCalls at a time (a model
    // asking for a hundred sandboxes at once gets them in waves); false when the agent was
    // cancelled.
    asio::awaitable<bool> execute(const std::vector<llm::ToolCall>& calls,
                                  const std::vector<json>& arguments,
                                  const std::vector<size_t>& runnable,
                                  std::vector<ToolCallOutcome>& results) {
      if (runnable.size() == 1) {
        results[runnable[0]] = co_await toolbox_.call(calls[runnable[0]], arguments[runnable[0]]);
      } else {
        for (size_t first = 0; first < runnable.size(); first += kMaxParallelToolCalls) {
          Nursery wave(co_await asio::this_coro::executor);
          const size_t end = std::min(runnable.size(), first + kMaxParallelToolCalls);
          for (size_t k = first; k < end; ++k) {
            const size_t i = runnable[k];
            wave.spawn(call_into(calls[i], arguments[i], results[i]));
          }
          co_await wave.join();
        }
      }
      const bool ended = co_await stopped();
      co_return !ended;
    }

    // A coroutine function, not a lambda: its frame keeps the references, which outlive it.
    asio::awaitable<void> call_into(const llm::ToolCall& call, const json& arguments,
                                    ToolCallOutcome& result) {
      result = co_await toolbox_.call(call, arguments);
    }

    ToolCallOutcome final_answer(const json& arguments) {
      json answer;
      auto raw = arguments.find("answer");
      const auto why = raw == arguments.end()
                           ? std::optional<std::string>("final_answer needs an \"answer\" argument")
                           : accept_answer(*raw, spec_.answer_schema, answer);
      if (why) {
        task_.emit("answer.rejected", out_.id, {{"reason", *why}});
        return {"final answer rejected: " + *why +
                    "\nCall final_answer again with a corrected "
                    "answer.",
                ToolCallOutcome::Kind::invalid};
      }
      if (done_)
        return {"final answer not taken: the agent's budget ended", ToolCallOutcome::Kind::failed};
      out_.answer = std::move(answer);
      end(Status::answered);
      return {"accepted", ToolCallOutcome::Kind::ok};
    }

    TaskContext& task_;
    AgentSpec spec_;
    const RoleSpec& role_;
    std::shared_ptr<const policies::Compiled> policy_;
    AgentOutcome& out_;
    Toolbox toolbox_;
    std::vector<llm::ToolDefinition> tools_;
    std::vector<llm::Message> messages_;
    uint32_t consecutive_errors_ = 0;
    bool done_ = false;
  };

  bool needs_workspace(const policies::ToolScope& scope) {
    return scope.run_code.allowed || scope.read_file.allowed || scope.write_file.allowed ||
           scope.list_files.allowed;
  }

  // The agent's worktree, or why it has none. A task cancelled or out of budget before the agent
  // started makes the co_await throw: the agent then ends cancelled, as its loop would.
  asio::awaitable<base::Status> prepare_worktree(TaskContext& task, AgentOutcome& out,
                                                 const std::string& start,
                                                 const policies::Compiled& policy) {
    try {
      base::Status made = co_await task.prepare_worktree(out.id, start, policy);
      if (!made) out.error = made.error().message;
      co_return made;
    } catch (const boost::system::system_error&) {
      out.status = AgentOutcome::Status::cancelled;
      out.error = "cancelled";
      co_return base::Error{"cancelled"};
    }
  }

  // What an agent that answered or failed changed, committed on its branch. One that was cancelled
  // or ran out of budget is not committed (its work is unfinished), and neither is one whose task
  // was cancelled as it ended (the co_await throws).
  asio::awaitable<void> commit_worktree(TaskContext& task, AgentOutcome& out) {
    if (out.status != AgentOutcome::Status::answered && out.status != AgentOutcome::Status::failed)
      co_return;
    try {
      out.branch = co_await task.commit_worktree(out.id);
    } catch (const boost::system::system_error&) {
    }
  }

  }  // namespace

  asio::awaitable<AgentOutcome> run_agent(TaskContext & task, AgentSpec spec) {
    AgentOutcome out;
    out.role = spec.role;
    out.id = spec.id.empty() ? task.new_agent_id(spec.role) : spec.id;
    const RoleSpec* role = task.role(spec.role);
    auto policy = task.policy_for_role(spec.role);
    task.emit("agent.started", out.id,
              {{"role", spec.role},
               {"model", role ? role->model : ""},
               {"policy", role ? role->policy : ""}});
    if (!role || !policy) {
      out.error = "role \"" + spec.role + "\": " +
                  (role ? "unknown policy " + role->policy : std::string("not in the task spec"));
    } else {
      // Made when a tool first needs it (Toolbox::make_workspace).
      if (spec.tools_enabled && needs_workspace(policy->scope))
        out.workspace = task.workspace_path(out.id).string();
      // With a repository, the workspace is the agent's own worktree, made before its first turn.
      base::Status worktree = base::Ok{};
      const bool on_repository = task.repository() && !out.workspace.empty();
      if (on_repository)
        worktree = co_await prepare_worktree(task, out, spec.start_commit, *policy);
      if (worktree) {
        task.feedback().agent_started(out.id);
        AgentLoop loop(task, std::move(spec), *role, policy, out);
        co_await loop.run();
        out.audit = loop.audit();
        task.feedback().agent_finished(out.id);
        if (on_repository) co_await commit_worktree(task, out);
      }
    }
    task.emit("agent.finished", out.id,
              {{"status", to_string(out.status)},
               {"turns", out.turns},
               {"tool_calls", out.tool_calls},
               {"tokens", out.usage.total_tokens()},
               {"error", out.error}});
    co_return out;
  }

  AGENTD_COROUTINE_FRAMES_END

}  // namespace agents::runtime
