// A connected client as the task layer sees it: somewhere to queue notification frames.
// Sessions implement it; tests use their own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace agentd {

class Peer {
 public:
  virtual ~Peer() = default;
  // Queues one text frame. False when the peer is closed, or has just been disconnected
  // because its send queue went past its limit.
  virtual bool send(std::shared_ptr<const std::string> frame) = 0;
  // Bytes queued and not yet written to the socket.
  virtual uint64_t queued_bytes() const = 0;
  virtual uint64_t send_queue_limit() const = 0;
  virtual bool closed() const = 0;
  virtual uint64_t peer_id() const = 0;
  // Closes the connection because the client cannot keep up (1008, as a full send queue).
  virtual void disconnect_slow_consumer() = 0;
};

}  // namespace agentd
