#include "tests/daemon/scripted_runner.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sstream>

#include "base/coroutine_warning.h"

AGENTD_COROUTINE_FRAMES_BEGIN  // base/coroutine_warning.h says why

    namespace agentd::testing {
  namespace asio = boost::asio;
  using nlohmann::json;

  nlohmann::json spec_for(const std::string& script, const std::string& policy) {
    return json{{"pattern", "vote"},
                {"prompt", script},
                {"options", {{"n", 2}}},
                {"roles", {{"voter", {{"model", "scripted"}, {"policy", policy}}}}}};
  }

  base::Status ScriptedRunner::check(const agents::TaskSpec& spec,
                                     const agents::PolicyLookup& policies) {
    for (const auto& [role, role_spec] : spec.roles)
      if (!policies(role_spec.policy))
        return base::Error{"/roles/" + role + "/policy: no policy named \"" + role_spec.policy +
                           "\""};
    return base::Ok{};
  }

  namespace {

  agents::Event event_of(const std::string& type, const std::string& task, const std::string& agent,
                         json data) {
    agents::Event event;
    event.type = type;
    event.task_id = task;
    event.agent_id = agent;
    event.data = std::move(data);
    return event;
  }

  // Waits `ms` (forever when negative); false when cancelled.
  asio::awaitable<bool> pause(int64_t ms) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    if (ms < 0)
      timer.expires_at(asio::steady_timer::time_point::max());
    else
      timer.expires_after(std::chrono::milliseconds(ms));
    auto [error] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return !error;
  }

  }  // namespace

  asio::awaitable<agents::TaskResult> ScriptedRunner::run(
      agents::TaskSpec spec, std::string task_id, std::string, std::shared_ptr<agents::TaskControl>,
      agents::PolicyLookup, agents::EventSink & events) {
    ++started;
    agents::TaskResult result;
    result.status = agents::TaskStatus::succeeded;
    result.answer = "done";
    std::istringstream words(spec.prompt);
    std::string word;
    while (words >> word && result.status == agents::TaskStatus::succeeded) {
      if (word == "emit" || word == "flood") {
        int64_t count = 0;
        int64_t bytes = 0;
        words >> count;
        if (word == "flood") words >> bytes;
        for (int64_t i = 0; i < count; ++i) {
          const std::string type = i == 0           ? "agent.started"
                                   : i + 1 == count ? "agent.finished"
                                                    : "tool.call";
          json data{{"i", i}};
          if (bytes > 0) data["blob"] = std::string(static_cast<size_t>(bytes), 'x');
          events.emit(event_of(type, task_id, "voter-1", std::move(data)));
          co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        }
      } else if (word == "sleep" || word == "block") {
        int64_t ms = -1;
        if (word == "sleep") words >> ms;
        if (!co_await pause(ms)) result.status = agents::TaskStatus::cancelled;
      } else if (word == "fail") {
        result.status = agents::TaskStatus::failed;
        result.error = "the script said fail";
      } else if (word == "tokens") {
        words >> result.usage.prompt_tokens;
      }
    }
    ++finished;
    co_return result;
  }

  AGENTD_COROUTINE_FRAMES_END

}  // namespace agentd::testing
