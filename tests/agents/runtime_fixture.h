// A GoogleTest fixture for whole tasks: the scripted LLM server (a fresh script per test), an
// llm::Client on the test's io_context, a sandbox::Runner, the built-in policies compiled
// with the default caps (plus policies a test defines), a temporary workspace root, and an
// event log. run() parses a task spec and runs it to its TaskResult.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agents/task.h"
#include "base/coroutine_warning.h"
#include "policies/caps.h"
#include "policies/compile.h"
#include "policies/loader.h"
#include "sandbox/runner.h"
#include "tests/fixtures/host_probe.h"
#include "tests/fixtures/scripted_llm/chat_fixture.h"

namespace agents::testing {

// Forwards events to the log and to an optional hook (a test reacts to a step of the task).
class HookedLog : public EventLog {
 public:
  void emit(Event event) override {
    if (hook) hook(event);
    EventLog::emit(std::move(event));
  }
  std::function<void(const Event&)> hook;
};

class TaskTest : public ScriptedLlmTest {
 protected:
  void SetUp() override {
    ScriptedLlmTest::SetUp();
    if (IsSkipped()) return;
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for sandboxes (user namespaces, cgroups)";
    static std::shared_ptr<sandbox::Runner> shared_runner;
    static std::string runner_error;
    if (!shared_runner && runner_error.empty()) {
      auto created = sandbox::Runner::create();
      if (created)
        shared_runner = *created;
      else
        runner_error = created.error().message;
    }
    if (!shared_runner) AGENTD_SKIP_UNLESS_HOST_CAN_SANDBOX("no sandbox runner: " + runner_error);
    runner_ = shared_runner;
    char pattern[] = "/tmp/agentd-runtime-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    workspace_root_ = pattern;
    ::chmod(pattern, 0711);
    for (const std::string& name : policies::builtin_policy_names()) add_builtin_policy(name);
    llm_ = make_client({model("strong"), model("cheap")}, quick_retries());
  }
  void TearDown() override {
    env_.reset();
    llm_.reset();
    if (!workspace_root_.empty()) std::filesystem::remove_all(workspace_root_);
  }

  void add_builtin_policy(const std::string& name) {
    auto loaded = policies::load_policy_named(name);
    ASSERT_TRUE(loaded.ok()) << policies::format(loaded.errors);
    policies_[name] = std::make_shared<policies::Compiled>(
        policies::compile(*loaded.value, policies::default_caps()));
  }
  // A policy from JSON text (comments allowed), named `name`.
  void add_policy(const std::string& name, const std::string& text) {
    auto loaded = policies::load_policy_text(text, name + ".json");
    ASSERT_TRUE(loaded.ok()) << policies::format(loaded.errors);
    loaded.value->name = name;
    loaded.value->scope.policy_name = name;
    policies_[name] = std::make_shared<policies::Compiled>(
        policies::compile(*loaded.value, policies::default_caps()));
  }

  TaskEnvironment& env() {
    if (!env_) {
      env_.emplace(TaskEnvironment{
          io_.get_executor(), *llm_, *runner_, http_,
          [this](std::string_view name) -> std::shared_ptr<const policies::Compiled> {
            auto it = policies_.find(std::string(name));
            return it == policies_.end() ? nullptr : it->second;
          },
          events_, workspace_root_, options_});
    }
    return *env_;
  }

  // Starts the task; `result` is set when it ends. `slot` cancels it when connected.
  AGENTD_COROUTINE_FRAMES_BEGIN
  void start(const nlohmann::json& spec_json, std::optional<TaskResult>& result,
             std::shared_ptr<TaskControl> control = nullptr,
             boost::asio::cancellation_slot slot = {}, std::string task_id = "task-1") {
    auto spec = parse_task_spec(spec_json);
    ASSERT_TRUE(spec.ok()) << spec.error().message;
    ASSERT_TRUE(check_task_spec(*spec, env()).ok());
    boost::asio::co_spawn(
        io_,
        [](TaskEnvironment& env, TaskSpec spec, std::string id, std::shared_ptr<TaskControl> c,
           std::optional<TaskResult>& out) -> boost::asio::awaitable<void> {
          out = co_await run_task(env, std::move(spec), std::move(id), std::move(c));
        }(env(), std::move(*spec), std::move(task_id), std::move(control), result),
        boost::asio::bind_cancellation_slot(slot, boost::asio::detached));
  }
  AGENTD_COROUTINE_FRAMES_END

  TaskResult run(const nlohmann::json& spec_json, std::shared_ptr<TaskControl> control = nullptr) {
    std::optional<TaskResult> result;
    start(spec_json, result, std::move(control));
    if (!run_until(
            io_, [&] { return result.has_value(); }, std::chrono::seconds(120))) {
      ADD_FAILURE() << "the task did not end within the test's limit";
      return {};
    }
    return std::move(*result);
  }

  // Events of `type` (for one agent when given).
  std::vector<Event> events(const std::string& type, const std::string& agent = "") const {
    std::vector<Event> found;
    for (const Event& event : events_.events)
      if (event.type == type && (agent.empty() || event.agent_id == agent)) found.push_back(event);
    return found;
  }
  // The chat requests the server logged for `role`.
  std::vector<nlohmann::json> requests_of(const std::string& role) {
    std::vector<nlohmann::json> found;
    for (const nlohmann::json& entry : requests())
      if (entry.value("role", "") == role) found.push_back(entry);
    return found;
  }

  static nlohmann::json role(const std::string& model, const std::string& policy) {
    return {{"model", model}, {"policy", policy}};
  }

  std::shared_ptr<sandbox::Runner> runner_;
  std::map<std::string, std::shared_ptr<const policies::Compiled>> policies_;
  std::unique_ptr<llm::Client> llm_;
  std::filesystem::path workspace_root_;
  RuntimeOptions options_;
  HookedLog events_;
  std::optional<TaskEnvironment> env_;
};

}  // namespace agents::testing
