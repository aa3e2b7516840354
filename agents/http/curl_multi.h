// agents::http::Client: libcurl's multi interface driven by an Asio executor. Each socket
// libcurl opens is watched with a (non-owning) posix::stream_descriptor, libcurl's single
// timeout with one steady_timer; no thread is created, so one loop thread carries hundreds
// of requests. One Client per io_context; it must be used from that context's thread.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "agents/http/request.h"

namespace agents::http {

class Client {
 public:
  explicit Client(boost::asio::any_io_executor executor);
  // Requests still in flight are removed and complete with operation_aborted. Must not run
  // inside one of this Client's callbacks (Request::on_body_chunk, connect_filter).
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `request` and completes with ResponseSignature (see request.h) through any
  // completion token: use_awaitable, a callback, a future. Cancelling the operation (its
  // cancellation slot, any type) removes the request from libcurl at once and completes it
  // with operation_aborted.
  template <boost::asio::completion_token_for<ResponseSignature> Token>
  auto async_request(Request request, Token&& token) {
    return boost::asio::async_initiate<Token, ResponseSignature>(
        [this](boost::asio::any_completion_handler<ResponseSignature> handler, Request r) {
          start(std::move(r), std::move(handler));
        },
        token, std::move(request));
  }

  boost::asio::any_io_executor get_executor() const;
  // Requests started and not yet completed.
  std::size_t in_flight() const;
  // Sockets created so far (each one a connection attempt): tests prove with it that a
  // refused address was never connected to; metrics can report it.
  uint64_t sockets_opened() const;

  class Impl;

 private:
  void start(Request request, boost::asio::any_completion_handler<ResponseSignature> handler);
  std::shared_ptr<Impl> impl_;
};

}  // namespace agents::http
