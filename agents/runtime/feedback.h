// Human feedback to a running task: messages for one agent, or for all ("*"). An agent takes
// what is new for it at each model turn. Broadcasts are kept for the task's life, so an agent
// that starts after one still sees it on its first turn; messages for one agent wait in its
// queue. Sizes are bounded: feedback comes from a client and is hostile like any input.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace agents::runtime {

class FeedbackBox {
 public:
  static constexpr size_t kMaxMessageBytes = 16 << 10;
  static constexpr size_t kMaxQueued = 64;  // per agent, and broadcasts; the oldest go first

  // Agents become known when they start; feedback to an unknown agent is refused.
  void agent_started(const std::string& agent_id);
  void agent_finished(const std::string& agent_id);

  // Returns false (nothing queued) when `agent_id` is neither "*" nor a running agent.
  bool post(const std::string& agent_id, std::string text);
  // Messages for `agent_id` it has not seen yet, oldest first.
  std::vector<std::string> take(const std::string& agent_id);

 private:
  struct Inbox {
    std::deque<std::string> direct;
    size_t broadcasts_seen = 0;  // index into the broadcast sequence
  };
  std::map<std::string, Inbox> inboxes_;  // the running agents
  std::deque<std::string> broadcasts_;
  size_t broadcasts_dropped_ = 0;  // sequence number of broadcasts_.front()
};

}  // namespace agents::runtime
