// Runs an io_context until a condition holds, with a generous limit that only guards against
// a hang (never a timing assertion).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

namespace agents::testing {

inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(100));
  }
  return done();
}

}  // namespace agents::testing
