// task.subscribe: each subscription first replays the task's events after the client's
// sequence number, then follows live events until the task's final event or
// task.unsubscribe. A live task's recent events are kept in memory (bounded per task), so the
// usual subscribe right after submit replays at once; older history comes from the journal in
// pages, waiting while the client's send queue is over half full, so it never floods it. Events
// published during the replay are held and sent after it, so the client sees every sequence number
// once, in order. Loop thread only.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/journal.h"
#include "daemon/peer.h"

namespace agentd {

class SubscriptionHub {
 public:
  SubscriptionHub(boost::asio::any_io_executor executor, Journal& journal);

  size_t count(uint64_t peer_id) const;
  // Registers at once (with `live`, events published from now on are held) and returns what
  // starts the replay of events with after_seq < seq <= upto from the journal, to be called
  // once the subscribe response is queued; with `live`, then follows what publish() sends
  // until the task's final event. A peer's earlier subscription to the task is replaced.
  std::function<void()> subscribe(const std::shared_ptr<Peer>& peer, const std::string& task_id,
                                  uint64_t after_seq, uint64_t upto, bool live);
  bool unsubscribe(uint64_t peer_id, const std::string& task_id);
  void drop_peer(uint64_t peer_id);
  // An event of a live task; `final` ends every subscription to it once delivered.
  void publish(const std::string& task_id, uint64_t seq,
               const std::shared_ptr<const std::string>& frame, bool final);

 private:
  struct Subscription {
    std::weak_ptr<Peer> peer;
    uint64_t peer_id = 0;
    std::string task_id;
    bool replaying = true;
    bool live = false;
    bool ended = false;
    bool final_published = false;
    std::deque<std::pair<uint64_t, std::shared_ptr<const std::string>>> held;
    uint64_t held_bytes = 0;
  };
  using SubscriptionPtr = std::shared_ptr<Subscription>;

  using Frame = std::shared_ptr<const std::string>;
  // The newest events of a live task, oldest first, at most kRecentBytes of frames.
  struct RecentEvents {
    std::deque<std::pair<uint64_t, Frame>> frames;
    uint64_t bytes = 0;
  };

  void remember(const std::string& task_id, uint64_t seq, const Frame& frame, bool final);
  // Sends the remembered events after `cursor` (up to `upto`), moving it on, when memory holds
  // every one of them; otherwise sends nothing and the journal serves them.
  void replay_recent(Subscription& subscription, Peer& peer, uint64_t& cursor, uint64_t upto);
  boost::asio::awaitable<void> replay(SubscriptionPtr subscription, uint64_t after_seq,
                                      uint64_t upto);
  boost::asio::awaitable<bool> wait_for_room(const SubscriptionPtr& subscription);
  void hold(Subscription& subscription, uint64_t seq,
            const std::shared_ptr<const std::string>& frame);
  void end(const SubscriptionPtr& subscription);

  boost::asio::any_io_executor executor_;
  Journal& journal_;
  std::map<uint64_t, std::map<std::string, SubscriptionPtr>> by_peer_;
  std::map<std::string, std::vector<SubscriptionPtr>> by_task_;  // live subscriptions
  std::map<std::string, RecentEvents> recent_;                   // live tasks
};

}  // namespace agentd
