// One WebSocket connection (Beast's do_x/on_x style): one read and one write in flight,
// frames answered concurrently (at most kMaxInFlight per connection; reading pauses beyond),
// a send queue bounded in bytes (a client that does not read is disconnected with 1008 and
// its queue freed at once), a message size limit (an error, then close 1009), binary frames
// refused with -32600 while the connection stays open, a per-connection rate limit, and
// pings every ping_interval with a close after idle_timeout without a frame or a pong.
// Instantiated in ws_session.cc for TCP, TLS and unix streams.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "daemon/gateway.h"
#include "daemon/peer.h"
#include "daemon/rate_limiter.h"

namespace agentd {

template <class Stream>
class WsSession final : public Peer,
                        public SessionControl,
                        public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  WsSession(Stream&& stream, Gateway& gateway, std::string tenant, std::string transport);

  // Completes the upgrade (echoing `subprotocol` when not empty), then serves.
  void run(Request request, const std::string& subprotocol);

  bool send(std::shared_ptr<const std::string> frame) override;
  uint64_t queued_bytes() const override { return queued_bytes_; }
  uint64_t send_queue_limit() const override { return limits_.send_queue_bytes; }
  bool closed() const override { return state_ >= State::close_queued; }
  uint64_t peer_id() const override { return peer_id_; }
  void disconnect_slow_consumer() override;
  void close_going_away() override;

 private:
  static constexpr size_t kMaxInFlight = 32;

  // Where the connection is in its life; each state only ever moves forward.
  enum class State {
    handshake,     // the upgrade is being answered
    open,          // reading requests, sending answers and events
    close_queued,  // no more reads, dispatches or sends; a close frame waits for the queue
    close_sent,    // the close frame is being written, the handshake runs
    finished,      // the socket is closed; nothing is pending
  };

  void on_accept(boost::beast::error_code error);
  void do_read();
  void on_read(boost::beast::error_code error, std::size_t bytes);
  void dispatch_message();
  void refuse(int code, const std::string& message);
  void do_write();
  void on_write(boost::beast::error_code error, std::size_t bytes);
  void arm_ping_timer();
  void on_ping_timer(boost::beast::error_code error);
  // Closes with `code` once what is queued has been written (or at once with `drop_queue`),
  // and closes the socket if the close handshake has not finished within a few seconds.
  void close_with(boost::beast::websocket::close_code code, const char* reason, bool drop_queue);
  void do_close();
  void release(size_t count);
  void drop_queue();
  void finish();

  boost::beast::websocket::stream<Stream> ws_;
  Gateway& gateway_;
  const Limits& limits_;
  std::string tenant_;
  std::string transport_;
  uint64_t peer_id_;
  boost::beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  uint64_t queued_bytes_ = 0;
  bool writing_ = false;
  bool reading_ = false;
  size_t in_flight_ = 0;
  RateLimiter limiter_;
  boost::asio::steady_timer ping_timer_;
  boost::asio::steady_timer close_timer_;
  std::chrono::steady_clock::time_point last_heard_;
  State state_ = State::handshake;
  // Operations in flight, independent of the state: Beast allows one read, one write and one
  // ping at a time, and no close while a ping is being written.
  bool ping_writing_ = false;
  bool ping_unanswered_ = false;  // a ping was sent and no pong has come back
  boost::beast::websocket::close_reason close_reason_;
};

}  // namespace agentd
