// One simulated client of bench/ws_load: connects, then submits tasks one after another and
// follows each task's events to its end, timing every event (the daemon's `at` against the
// time it arrives here, on the same host) and checking that sequence numbers arrive in order
// without gaps.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace ws_load {

struct ClientPlan {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string token;
  uint32_t tasks = 1;  // submitted one after another
  uint32_t subtasks = 2;
};

// Shared by every client of one run (all on one thread).
struct Results {
  std::vector<double> latencies_ms;  // one per event
  uint64_t tasks_succeeded = 0;
  uint64_t tasks_other = 0;  // finished in another state
  uint64_t events = 0;
  uint64_t replayed = 0;      // sent as a replay at subscribe time, so not timed
  uint64_t order_errors = 0;  // an event whose seq was not the previous one + 1
  uint64_t clients_failed = 0;
  std::vector<std::string> failures;  // the first few, for the report
  void fail(std::string what);
};

boost::asio::awaitable<void> run_client(ClientPlan plan, Results& results);

}  // namespace ws_load
