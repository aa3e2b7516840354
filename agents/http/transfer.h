// One request in flight inside agents::http::Client: its easy handle, its libcurl callbacks
// (body with cap, headers, connect-time address filter) and what it reports when done.
// Internal to agents/http.
#pragma once

#include <curl/curl.h>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <cstdint>

#include "agents/http/curl_handles.h"
#include "agents/http/request.h"

namespace agents::http::detail {

using Completion = boost::asio::any_completion_handler<ResponseSignature>;

struct Transfer {
  // The handler is moved in at construction: Boost 1.81's any_completion_handler move
  // assignment recurses forever (it copies from an lvalue through its template constructor).
  explicit Transfer(Completion completion) : handler(std::move(completion)) {}

  uint64_t id = 0;
  Request request;
  Response response;
  EasyHandle easy;
  Slist header_list;
  Slist resolve_list;
  char error_buffer[CURL_ERROR_SIZE] = {};
  uint64_t body_bytes = 0;    // received, whether stored or streamed
  uint64_t header_bytes = 0;  // received, capped against hostile servers
  std::string refusal;        // first connect_filter refusal, the reason the connect failed
  bool cancelled = false;     // cancelled while libcurl was running: callbacks abort
  bool stopped_by_reader = false;
  uint64_t* sockets_opened = nullptr;  // the Client's counter
  bool in_multi = false;               // added to the multi handle (removal needed)

  Completion handler;
  boost::asio::cancellation_slot slot;
  // Outstanding work on the Client's loop and on the handler's executor while in flight.
  boost::asio::any_io_executor io_work;
  boost::asio::any_completion_executor handler_work;
};

// Creates the easy handle and sets every option. On failure fills response.error (which
// option or which argument) and returns the libcurl code to report.
CURLcode configure(Transfer& transfer);

// Fills the response from the finished easy handle; `result` is libcurl's verdict.
void record_outcome(Transfer& transfer, CURLcode result);

}  // namespace agents::http::detail
