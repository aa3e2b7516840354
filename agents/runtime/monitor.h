// The optional monitor: every few seconds a cheap model (role "monitor") reads the task's
// recent events and writes a short progress summary for the user (monitor.summary). It runs
// beside the workers and never blocks them; it stops when cancelled (the task's end).
#pragma once

#include <boost/asio/awaitable.hpp>

namespace agents::runtime {

class TaskContext;

boost::asio::awaitable<void> run_monitor(TaskContext& task);

}  // namespace agents::runtime
