// task.subscribe: each subscription first replays the task's journalled events after the
// client's sequence number (in pages, waiting while the client's send queue is over half
// full, so a long history never floods it), then follows live events until the task's
// final event or task.unsubscribe. Events published during the replay are held and sent
// after it, so the client sees every sequence number once, in order. Loop thread only.
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
};

}  // namespace agentd
