#include "daemon/agentctl/follow.h"

#include <algorithm>
#include <chrono>
#include <ostream>
#include <thread>

#include "daemon/agentctl/render.h"

namespace agentctl {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Reconnect attempts after a lost connection, 0.25 s doubling up to 5 s between them:
// about two minutes in all, long enough for a daemon restart.
constexpr int kMaxReconnects = 30;
constexpr auto kFirstDelay = 250ms;
constexpr auto kMaxDelay = 5000ms;
constexpr int kDraining = -32006;

struct FollowState {
  std::string task_id;
  int64_t last_seq = 0;
  std::string final_state;  // set when the task's end was seen
};

void print_event(const json& event, const Invocation& inv, Output io) {
  if (inv.json)
    io.out << event.dump() << "\n";
  else
    io.out << event_line(event) << "\n";
  io.out.flush();
}

void print_answer(const json& result, const Invocation& inv, Output io) {
  if (inv.json || !result.is_object()) return;  // --json: the task.finished event holds it
  if (result.contains("answer") && !result["answer"].is_null())
    io.out << answer_text(result["answer"]) << "\n";
}

// Handles one notification; returns true when the task's final event was seen.
bool on_notification(const json& message, FollowState& state, const Invocation& inv, Output io) {
  if (message.value("method", "") != "task.event" || !message.contains("params")) return false;
  const json& event = message["params"];
  if (!event.is_object() || event.value("task_id", "") != state.task_id) return false;
  const int64_t seq =
      event.contains("seq") && event["seq"].is_number_integer() ? event["seq"].get<int64_t>() : 0;
  if (seq <= state.last_seq) return false;  // replayed twice across a reconnect
  if (seq != state.last_seq + 1)
    io.err << "agentctl: events " << state.last_seq + 1 << " to " << seq - 1 << " of task "
           << state.task_id << " did not arrive\n";
  state.last_seq = seq;
  print_event(event, inv, io);
  if (event.value("type", "") != "task.finished") return false;
  const json& data = event.contains("data") ? event["data"] : json::object();
  state.final_state = data.is_object() ? data.value("state", "failed") : "failed";
  if (data.is_object() && data.contains("result")) print_answer(data["result"], inv, io);
  return true;
}

// The task ended before we saw its final event (it ended while nobody was subscribed and
// the server sent no task.finished): ask for its result.
int finish_from_get(RpcClient& client, FollowState& state, const Invocation& inv, Output io) {
  auto got = call_and_report(client, "task.get", {{"task_id", state.task_id}}, io);
  if (!got.result) return got.status;
  state.final_state = got.result->value("state", "failed");
  if (inv.json)
    io.out << got.result->dump() << "\n";
  else
    io.out << "task " << printable(state.task_id, false) << " " << state.final_state << "\n";
  if (got.result->contains("result")) print_answer((*got.result)["result"], inv, io);
  return exit_status_for_state(state.final_state);
}

// Subscribes and prints events until the end (returns an exit status) or until the
// connection drops (returns nullopt: reconnect).
std::optional<int> subscribe_and_stream(RpcClient& client, FollowState& state,
                                        const Invocation& inv, Output io) {
  auto response =
      client.call("task.subscribe", {{"task_id", state.task_id}, {"after_seq", state.last_seq}});
  if (!response) return std::nullopt;
  if (response->error) {
    if (response->error->code == kDraining) return std::nullopt;  // the daemon is restarting
    io.err << "agentctl: task.subscribe: " << printable(describe(*response->error), false) << "\n";
    return exit_status_for(*response->error);
  }
  const json& subscribed = response->result;
  const std::string task_state = subscribed.value("state", "");
  const int64_t server_last = subscribed.value("last_seq", int64_t{0});
  if (is_final_state(task_state) && server_last <= state.last_seq)
    return finish_from_get(client, state, inv, io);
  for (;;) {
    auto message = client.next_notification();
    if (!message) return std::nullopt;
    if (on_notification(*message, state, inv, io)) return exit_status_for_state(state.final_state);
  }
}

}  // namespace

int follow_task(const Invocation& inv, std::unique_ptr<RpcClient> client,
                const std::string& task_id, Output io) {
  FollowState state;
  state.task_id = task_id;
  auto delay = std::chrono::milliseconds(kFirstDelay);
  for (int attempt = 0;; ++attempt) {
    if (!client) {
      auto connected = connect(inv.endpoint, inv.token);
      if (connected.connection)
        client = std::make_unique<RpcClient>(std::move(connected.connection));
      else if (connected.error.auth) {
        io.err << "agentctl: " << connected.error.message << "\n";
        return kConnection;
      }
    }
    if (client) {
      const int64_t seen_before = state.last_seq;
      if (auto status = subscribe_and_stream(*client, state, inv, io)) return *status;
      client.reset();
      if (state.last_seq > seen_before) {  // progress was made: start the backoff over
        attempt = 0;
        delay = kFirstDelay;
      }
    }
    if (attempt >= kMaxReconnects) {
      io.err << "agentctl: lost the connection to the server and could not reconnect; the task "
             << "goes on: agentctl get " << printable(task_id, false) << "\n";
      return kConnection;
    }
    if (!inv.json) io.err << "agentctl: connection lost, reconnecting...\n";
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, kMaxDelay);
  }
}

}  // namespace agentctl
