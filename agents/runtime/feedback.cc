#include "agents/runtime/feedback.h"

namespace agents::runtime {

void FeedbackBox::agent_started(const std::string& agent_id) {
  inboxes_.try_emplace(agent_id);
}

void FeedbackBox::agent_finished(const std::string& agent_id) {
  inboxes_.erase(agent_id);
}

bool FeedbackBox::post(const std::string& agent_id, std::string text) {
  if (text.size() > kMaxMessageBytes) text.resize(kMaxMessageBytes);
  if (agent_id == "*") {
    broadcasts_.push_back(std::move(text));
    if (broadcasts_.size() > kMaxQueued) {
      broadcasts_.pop_front();
      ++broadcasts_dropped_;
    }
    return true;
  }
  auto inbox = inboxes_.find(agent_id);
  if (inbox == inboxes_.end()) return false;
  inbox->second.direct.push_back(std::move(text));
  if (inbox->second.direct.size() > kMaxQueued) inbox->second.direct.pop_front();
  return true;
}

std::vector<std::string> FeedbackBox::take(const std::string& agent_id) {
  std::vector<std::string> messages;
  Inbox& inbox = inboxes_[agent_id];
  const size_t end = broadcasts_dropped_ + broadcasts_.size();
  for (size_t seq = std::max(inbox.broadcasts_seen, broadcasts_dropped_); seq < end; ++seq)
    messages.push_back(broadcasts_[seq - broadcasts_dropped_]);
  inbox.broadcasts_seen = end;
  for (std::string& text : inbox.direct) messages.push_back(std::move(text));
  inbox.direct.clear();
  return messages;
}

}  // namespace agents::runtime
