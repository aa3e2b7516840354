#include "daemon/ws_session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "daemon/dispatcher.h"
#include "daemon/rpc.h"
#include "daemon/streams.h"

namespace agentd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using Clock = std::chrono::steady_clock;

template <class Stream>
WsSession<Stream>::WsSession(Stream&& stream, Gateway& gateway, std::string tenant,
                             std::string transport)
    : ws_(std::move(stream)),
      gateway_(gateway),
      limits_(gateway.limits()),
      tenant_(std::move(tenant)),
      transport_(std::move(transport)),
      peer_id_(gateway.next_peer_id()),
      limiter_(limits_.requests_per_second, limits_.request_burst),
      ping_timer_(ws_.get_executor()),
      close_timer_(ws_.get_executor()),
      last_heard_(Clock::now()) {}

template <class Stream>
void WsSession<Stream>::run(Request request, const std::string& subprotocol) {
  beast::get_lowest_layer(ws_).expires_never();  // the WebSocket keeps its own time
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(30);
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.set_option(
      websocket::stream_base::decorator([subprotocol](websocket::response_type& response) {
        response.set(beast::http::field::server, "agentd");
        if (!subprotocol.empty())
          response.set(beast::http::field::sec_websocket_protocol, subprotocol);
      }));
  // The message limit is enforced by do_read (so that an error can be sent before the
  // 1009 close); Beast's own would close first.
  ws_.read_message_max(0);
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    last_heard_ = Clock::now();
    if (kind == websocket::frame_type::pong) ping_unanswered_ = false;
  });
  ws_.async_accept(request,
                   beast::bind_front_handler(&WsSession::on_accept, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_accept(beast::error_code error) {
  if (error) return finish();
  state_ = State::open;
  gateway_.session_opened(peer_id_, this->weak_from_this());
  gateway_.metrics().connections.add(1, {{"transport", transport_}});
  gateway_.metrics().connections_total.add(1, {{"transport", transport_}});
  last_heard_ = Clock::now();
  arm_ping_timer();
  do_read();
}

template <class Stream>
void WsSession<Stream>::do_read() {
  if (state_ != State::open || reading_ || in_flight_ >= kMaxInFlight) return;
  const uint64_t limit = std::min(limits_.max_message_bytes, limits_.max_frame_bytes);
  reading_ = true;
  ws_.async_read_some(buffer_, limit - buffer_.size(),
                      beast::bind_front_handler(&WsSession::on_read, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_read(beast::error_code error, std::size_t) {
  reading_ = false;
  if (error) return finish();
  last_heard_ = Clock::now();
  if (state_ != State::open) return;
  const uint64_t limit = std::min(limits_.max_message_bytes, limits_.max_frame_bytes);
  if (!ws_.is_message_done()) {
    if (buffer_.size() < limit) return do_read();
    buffer_.clear();
    gateway_.metrics().disconnects.add(1, {{"reason", "message_too_big"}});
    refuse(rpc::invalid_request, "invalid request: message larger than " + std::to_string(limit) +
                                     " bytes; closing (1009)");
    return close_with(websocket::close_code::too_big, "message too big", false);
  }
  dispatch_message();
  do_read();
}

template <class Stream>
void WsSession<Stream>::refuse(int code, const std::string& message) {
  send(std::make_shared<const std::string>(
      rpc::error_response(nullptr, rpc::Failure{code, message, nullptr})));
}

template <class Stream>
void WsSession<Stream>::dispatch_message() {
  if (ws_.got_binary()) {
    buffer_.clear();
    gateway_.metrics().rpc_requests.add(1, {{"method", "none"}, {"code", "-32600"}});
    return refuse(rpc::invalid_request,
                  "invalid request: binary frames are not accepted; send JSON-RPC as text frames");
  }
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.clear();
  ++in_flight_;
  auto self = this->shared_from_this();
  RequestContext context{tenant_, self, &limiter_};
  asio::co_spawn(ws_.get_executor(),
                 gateway_.dispatcher().handle(std::move(text), std::move(context)),
                 [self](const std::exception_ptr& error, DispatchOutcome outcome) {
                   --self->in_flight_;
                   if (!error && !outcome.frame.empty())
                     self->send(std::make_shared<const std::string>(std::move(outcome.frame)));
                   for (auto& after : outcome.after_sent) after();
                   self->do_read();
                 });
}

template <class Stream>
bool WsSession<Stream>::send(std::shared_ptr<const std::string> frame) {
  if (state_ != State::open) return false;
  // One frame larger than the limit still goes out alone (a large exec.run result); a
  // client that lets frames pile up does not.
  if (!queue_.empty() && queued_bytes_ + frame->size() > limits_.send_queue_bytes) {
    disconnect_slow_consumer();
    return false;
  }
  queued_bytes_ += frame->size();
  gateway_.metrics().send_queue_bytes.add(static_cast<double>(frame->size()));
  gateway_.metrics().note_queued_bytes(queued_bytes_);
  queue_.push_back(std::move(frame));
  if (!writing_) do_write();
  return true;
}

template <class Stream>
void WsSession<Stream>::do_write() {
  if (queue_.empty() || state_ == State::finished) {
    writing_ = false;
    do_close();
    return;
  }
  writing_ = true;
  ws_.text(true);
  ws_.async_write(asio::buffer(*queue_.front()),
                  beast::bind_front_handler(&WsSession::on_write, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_write(beast::error_code error, std::size_t) {
  release(1);
  if (error) {
    writing_ = false;
    return finish();
  }
  do_write();
}

// Drops `count` frames from the front of the queue (all when count is the size).
template <class Stream>
void WsSession<Stream>::release(size_t count) {
  uint64_t bytes = 0;
  for (size_t i = 0; i < count && !queue_.empty(); ++i) {
    bytes += queue_.front()->size();
    queue_.pop_front();
  }
  queued_bytes_ -= bytes;
  gateway_.metrics().send_queue_bytes.add(-static_cast<double>(bytes));
}

// Frees everything queued except the frame being written, whose buffer Beast still reads.
template <class Stream>
void WsSession<Stream>::drop_queue() {
  if (queue_.empty()) return;
  auto in_flight = writing_ ? queue_.front() : nullptr;
  release(queue_.size());
  if (in_flight) {
    queued_bytes_ += in_flight->size();
    gateway_.metrics().send_queue_bytes.add(static_cast<double>(in_flight->size()));
    queue_.push_back(std::move(in_flight));
  }
}

template <class Stream>
void WsSession<Stream>::disconnect_slow_consumer() {
  if (state_ != State::open) return;
  gateway_.metrics().disconnects.add(1, {{"reason", "send_queue"}});
  close_with(websocket::close_code::policy_error, "send queue full: the client does not read",
             true);
}

template <class Stream>
void WsSession<Stream>::close_going_away() {
  if (state_ != State::open) return;
  gateway_.metrics().disconnects.add(1, {{"reason", "shutdown"}});
  close_with(websocket::close_code::going_away, "server shutting down", false);
}

template <class Stream>
void WsSession<Stream>::close_with(websocket::close_code code, const char* reason,
                                   bool drop_queued) {
  if (state_ != State::open) return;
  state_ = State::close_queued;
  close_reason_ = websocket::close_reason(code, reason);
  if (drop_queued) drop_queue();
  ping_timer_.cancel();
  // A peer that does not read never lets the close frame out: close the socket then.
  close_timer_.expires_after(drop_queued ? std::chrono::seconds(1) : std::chrono::seconds(5));
  close_timer_.async_wait([self = this->shared_from_this()](beast::error_code error) {
    if (!error) self->finish();
  });
  if (!writing_) do_close();
}

template <class Stream>
void WsSession<Stream>::do_close() {
  if (state_ != State::close_queued || ping_writing_) return;
  state_ = State::close_sent;
  ws_.async_close(close_reason_,
                  [self = this->shared_from_this()](beast::error_code) { self->finish(); });
}

template <class Stream>
void WsSession<Stream>::arm_ping_timer() {
  ping_timer_.expires_after(std::min(limits_.ping_interval, limits_.idle_timeout));
  ping_timer_.async_wait(
      beast::bind_front_handler(&WsSession::on_ping_timer, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_ping_timer(beast::error_code error) {
  if (error || state_ != State::open) return;
  const auto silent = Clock::now() - last_heard_;
  if (silent >= limits_.idle_timeout) {
    gateway_.metrics().disconnects.add(1, {{"reason", "idle"}});
    return close_with(websocket::close_code::going_away, "idle timeout", true);
  }
  if (silent >= limits_.ping_interval && !ping_unanswered_ && !ping_writing_) {
    ping_unanswered_ = true;
    ping_writing_ = true;
    ws_.async_ping({}, [self = this->shared_from_this()](beast::error_code ping_error) {
      self->ping_writing_ = false;
      if (ping_error) return self->finish();
      if (!self->writing_) self->do_close();  // a close that waited for the ping
    });
  }
  arm_ping_timer();
}

template <class Stream>
void WsSession<Stream>::finish() {
  if (state_ == State::finished) return;
  const bool was_open = state_ != State::handshake;
  state_ = State::finished;
  ping_timer_.cancel();
  close_timer_.cancel();
  drop_queue();
  if (was_open) {
    gateway_.metrics().connections.add(-1, {{"transport", transport_}});
    gateway_.session_closed(peer_id_);
  }
  gateway_.release_connection(tenant_);
  // Ends the read (and a write) still pending, so nothing keeps the session alive.
  beast::get_lowest_layer(ws_).close();
}

template class WsSession<TcpStream>;
template class WsSession<TlsStream>;
template class WsSession<UnixStream>;

}  // namespace agentd
