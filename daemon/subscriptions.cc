#include "daemon/subscriptions.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <iostream>

#include "base/log.h"
#include "daemon/journal_schema.h"
#include "daemon/task_json.h"

namespace agentd {

namespace asio = boost::asio;
using journal_schema::EventRow;

constexpr uint32_t kReplayPage = 256;
// Per live task: enough for a whole ordinary task (a few hundred bytes per event), small
// enough that max_running_tasks of them stay a few megabytes.
constexpr uint64_t kRecentBytes = 128 << 10;

SubscriptionHub::SubscriptionHub(asio::any_io_executor executor, Journal& journal)
    : executor_(std::move(executor)), journal_(journal) {}

size_t SubscriptionHub::count(uint64_t peer_id) const {
  auto it = by_peer_.find(peer_id);
  return it == by_peer_.end() ? 0 : it->second.size();
}

std::function<void()> SubscriptionHub::subscribe(const std::shared_ptr<Peer>& peer,
                                                 const std::string& task_id, uint64_t after_seq,
                                                 uint64_t upto, bool live) {
  unsubscribe(peer->peer_id(), task_id);
  auto subscription = std::make_shared<Subscription>();
  subscription->peer = peer;
  subscription->peer_id = peer->peer_id();
  subscription->task_id = task_id;
  subscription->live = live;
  by_peer_[peer->peer_id()][task_id] = subscription;
  if (live) by_task_[task_id].push_back(subscription);
  return [this, subscription, after_seq, upto] {
    asio::co_spawn(executor_, replay(subscription, after_seq, upto), asio::detached);
  };
}

bool SubscriptionHub::unsubscribe(uint64_t peer_id, const std::string& task_id) {
  auto peer = by_peer_.find(peer_id);
  if (peer == by_peer_.end()) return false;
  auto it = peer->second.find(task_id);
  if (it == peer->second.end()) return false;
  end(it->second);
  return true;
}

void SubscriptionHub::drop_peer(uint64_t peer_id) {
  auto peer = by_peer_.find(peer_id);
  if (peer == by_peer_.end()) return;
  std::vector<SubscriptionPtr> all;
  for (auto& [task, subscription] : peer->second) all.push_back(subscription);
  for (auto& subscription : all) end(subscription);
}

void SubscriptionHub::end(const SubscriptionPtr& subscription) {
  if (subscription->ended) return;
  subscription->ended = true;
  subscription->held.clear();
  if (auto peer = by_peer_.find(subscription->peer_id); peer != by_peer_.end()) {
    peer->second.erase(subscription->task_id);
    if (peer->second.empty()) by_peer_.erase(peer);
  }
  if (auto task = by_task_.find(subscription->task_id); task != by_task_.end()) {
    std::erase(task->second, subscription);
    if (task->second.empty()) by_task_.erase(task);
  }
}

void SubscriptionHub::hold(Subscription& subscription, uint64_t seq,
                           const std::shared_ptr<const std::string>& frame) {
  subscription.held.emplace_back(seq, frame);
  subscription.held_bytes += frame->size();
}

void SubscriptionHub::remember(const std::string& task_id, uint64_t seq, const Frame& frame,
                               bool final) {
  if (final) {
    recent_.erase(task_id);  // an ended task's subscribers replay from the journal
    return;
  }
  RecentEvents& recent = recent_[task_id];
  recent.frames.emplace_back(seq, frame);
  recent.bytes += frame->size();
  while (recent.bytes > kRecentBytes && recent.frames.size() > 1) {
    recent.bytes -= recent.frames.front().second->size();
    recent.frames.pop_front();
  }
}

void SubscriptionHub::publish(const std::string& task_id, uint64_t seq,
                              const std::shared_ptr<const std::string>& frame, bool final) {
  remember(task_id, seq, frame, final);
  auto task = by_task_.find(task_id);
  if (task == by_task_.end()) return;
  std::vector<SubscriptionPtr> ended;
  for (const auto& subscription : task->second) {
    subscription->final_published = subscription->final_published || final;
    auto peer = subscription->peer.lock();
    if (peer && subscription->replaying) {
      hold(*subscription, seq, frame);
      // What a replaying client cannot take counts against its send queue too.
      if (subscription->held_bytes <= peer->send_queue_limit()) continue;
      peer->disconnect_slow_consumer();
    } else if (peer && peer->send(frame) && !final) {
      continue;
    }
    ended.push_back(subscription);  // gone, too slow, or sent its last event
  }
  for (const auto& subscription : ended) end(subscription);
}

asio::awaitable<bool> SubscriptionHub::wait_for_room(const SubscriptionPtr& subscription) {
  asio::steady_timer timer(executor_);
  for (;;) {
    auto peer = subscription->peer.lock();
    if (!peer || peer->closed() || subscription->ended) co_return false;
    if (peer->queued_bytes() <= peer->send_queue_limit() / 2) co_return true;
    peer.reset();
    timer.expires_after(std::chrono::milliseconds(5));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

void SubscriptionHub::replay_recent(Subscription& subscription, Peer& peer, uint64_t& cursor,
                                    uint64_t upto) {
  auto recent = recent_.find(subscription.task_id);
  if (recent == recent_.end() || recent->second.frames.empty() ||
      recent->second.frames.front().first > cursor + 1)
    return;
  for (const auto& [seq, frame] : recent->second.frames) {
    if (seq <= cursor) continue;
    if (seq > upto || !peer.send(frame)) return;
    cursor = seq;
  }
}

asio::awaitable<void> SubscriptionHub::replay(SubscriptionPtr subscription, uint64_t after_seq,
                                              uint64_t upto) {
  uint64_t cursor = after_seq;
  if (cursor < upto && subscription->live) {
    auto peer = subscription->peer.lock();
    if (!peer || subscription->ended) co_return end(subscription);
    replay_recent(*subscription, *peer, cursor, upto);
    if (peer->closed()) co_return end(subscription);
  }
  while (cursor < upto) {
    if (!co_await wait_for_room(subscription)) co_return end(subscription);
    std::function<std::vector<EventRow>(sqlite::Database&)> read =
        [task = subscription->task_id, cursor, upto](sqlite::Database& db) {
          return journal_schema::events(db, task, cursor, upto, kReplayPage);
        };
    auto rows = co_await journal_.call(std::move(read));
    if (!rows)
      base::log::error() << "replay of " << subscription->task_id << ": " << rows.error().message;
    if (!rows || rows->empty()) break;
    auto peer = subscription->peer.lock();
    if (!peer || subscription->ended) co_return end(subscription);
    for (const EventRow& row : *rows) {
      if (!peer->send(event_frame(row.params))) co_return end(subscription);
      cursor = row.seq;
    }
  }
  if (subscription->ended) co_return;
  auto peer = subscription->peer.lock();
  for (const auto& [seq, frame] : subscription->held) {
    if (seq <= cursor) continue;
    if (!peer || !peer->send(frame)) co_return end(subscription);
    cursor = seq;
  }
  subscription->held.clear();
  subscription->held_bytes = 0;
  subscription->replaying = false;
  if (!subscription->live || subscription->final_published) end(subscription);
}

}  // namespace agentd
