#include "agents/runtime/monitor.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agents/llm/client.h"
#include "agents/runtime/task_context.h"
#include "agents/runtime/truncate.h"
#include "base/strings.h"

namespace agents::runtime {

namespace asio = boost::asio;

namespace {

constexpr size_t kMaxLinesPerSummary = 80;
const std::string kMonitorId = "monitor-1";

// The digest without the monitor's own lines, most recent last.
std::string recent_events(std::vector<std::string> lines) {
  std::erase_if(lines, [](const std::string& line) { return line.rfind("monitor", 0) == 0; });
  const size_t first = lines.size() > kMaxLinesPerSummary ? lines.size() - kMaxLinesPerSummary : 0;
  std::string text;
  for (size_t i = first; i < lines.size(); ++i) text += lines[i] + "\n";
  return text;
}

}  // namespace

asio::awaitable<void> run_monitor(TaskContext& task) {
  const RoleSpec* role = task.role("monitor");
  if (!role) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  uint64_t cursor = 0;
  while (true) {
    timer.expires_after(task.spec.monitor.interval);
    co_await timer.async_wait(asio::use_awaitable);
    const std::string events = recent_events(task.digest_since(cursor));
    if (events.empty()) continue;
    llm::ChatRequest request;
    request.model = role->model;
    request.messages = {
        {"system",
         role->system_prompt.empty()
             ? "You tell a user how a multi-agent task is progressing, in one or two "
               "short sentences."
             : role->system_prompt,
         {},
         {}},
        {"user",
         "Task: " + truncate_for_model(task.spec.prompt, 500) +
             "\n\nEvents since the last summary:\n" + events,
         {},
         {}}};
    request.task_id = task.task_id;
    request.agent_id = kMonitorId;
    request.role = "monitor";
    request.events = &task.env.events;  // not the digest: the monitor does not summarise itself
    auto response = co_await task.env.llm.chat(std::move(request));
    if (!response) {
      task.emit("monitor.error", kMonitorId, {{"error", response.error().message}});
      continue;
    }
    task.charge(response->usage);
    task.emit("monitor.summary", kMonitorId,
              {{"summary", base::valid_utf8(truncate_for_model(response->message.content, 2000))}});
  }
}

}  // namespace agents::runtime
