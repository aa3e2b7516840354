#include "bench/ws_load_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

namespace ws_load {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using nlohmann::json;
using Socket = websocket::stream<beast::tcp_stream>;

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2026-01-05T10:31:07.250Z" → milliseconds since the epoch; -1 when malformed.
double parse_at(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(::timegm(&tm)) * 1000.0 + ms;
}

json spec(uint32_t subtasks) {
  json role = {{"model", "scripted"}, {"policy", "coder"}};
  return {{"pattern", "fan_out"},
          {"prompt", "load test"},
          {"options", {{"max_subtasks", subtasks}}},
          {"roles", {{"planner", role}, {"worker", role}, {"reducer", role}}}};
}

asio::awaitable<json> read_json(Socket& ws, beast::flat_buffer& buffer) {
  buffer.clear();
  co_await ws.async_read(buffer, asio::use_awaitable);
  co_return json::parse(beast::buffers_to_string(buffer.data()));
}

// Sends a request and reads until its response; events before it are counted as for `task_id`.
asio::awaitable<json> call(Socket& ws, beast::flat_buffer& buffer, int64_t id,
                           const std::string& method, json params) {
  const std::string text =
      json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}}
          .dump();
  co_await ws.async_write(asio::buffer(text), asio::use_awaitable);
  for (;;) {
    json message = co_await read_json(ws, buffer);
    if (message.contains("id") && message["id"] == id) co_return message;
  }
}

// Follows one task's events to task.finished; returns its final state.
asio::awaitable<std::string> follow(Socket& ws, beast::flat_buffer& buffer,
                                    const std::string& task_id, Results& results) {
  int64_t last_seq = 0;
  int64_t replayed_up_to = 0;  // events that happened before the subscription: not timed
  for (;;) {
    json message = co_await read_json(ws, buffer);
    const double received = now_ms();
    if (message.contains("result")) {  // the subscribe answer
      replayed_up_to = message["result"].value("last_seq", int64_t{0});
      continue;
    }
    if (message.value("method", "") != "task.event") continue;
    const json& event = message["params"];
    if (event.value("task_id", "") != task_id) continue;
    const int64_t seq = event.value("seq", int64_t{0});
    if (seq != last_seq + 1) ++results.order_errors;
    last_seq = seq;
    ++results.events;
    if (const double at = parse_at(event.value("at", "")); at >= 0 && seq > replayed_up_to)
      results.latencies_ms.push_back(received - at);
    else if (seq <= replayed_up_to)
      ++results.replayed;
    if (event.value("type", "") == "task.finished") co_return event["data"].value("state", "?");
  }
}

}  // namespace

void Results::fail(std::string what) {
  ++clients_failed;
  if (failures.size() < 5) failures.push_back(std::move(what));
}

asio::awaitable<void> run_client(ClientPlan plan, Results& results) {
  try {
    auto executor = co_await asio::this_coro::executor;
    Socket ws(executor);
    ws.read_message_max(16 << 20);
    asio::ip::tcp::endpoint endpoint(asio::ip::make_address(plan.host), plan.port);
    co_await beast::get_lowest_layer(ws).async_connect(endpoint, asio::use_awaitable);
    beast::get_lowest_layer(ws).socket().set_option(asio::ip::tcp::no_delay(true));
    ws.set_option(
        websocket::stream_base::decorator([token = plan.token](websocket::request_type& req) {
          req.set(beast::http::field::authorization, "Bearer " + token);
        }));
    const std::string target = "/v1/ws";  // a variable: g++ 12 cannot take a literal here
    co_await ws.async_handshake(plan.host, target, asio::use_awaitable);
    beast::flat_buffer buffer;
    int64_t id = 0;
    for (uint32_t i = 0; i < plan.tasks; ++i) {
      const std::string method = "task.submit";
      json params = {{"spec", spec(plan.subtasks)}};
      json submitted = co_await call(ws, buffer, ++id, method, std::move(params));
      if (!submitted.contains("result")) {
        results.fail("task.submit: " + submitted.dump().substr(0, 300));
        co_return;
      }
      const std::string task_id = submitted["result"]["task_id"];
      const std::string text = json{{"jsonrpc", "2.0"},
                                    {"id", ++id},
                                    {"method", "task.subscribe"},
                                    {"params", {{"task_id", task_id}, {"after_seq", 0}}}}
                                   .dump();
      co_await ws.async_write(asio::buffer(text), asio::use_awaitable);
      const std::string state = co_await follow(ws, buffer, task_id, results);
      if (state == "succeeded")
        ++results.tasks_succeeded;
      else
        ++results.tasks_other;
    }
    co_await ws.async_close(websocket::close_code::normal, asio::use_awaitable);
  } catch (const std::exception& error) {
    results.fail(error.what());
  }
}

}  // namespace ws_load
