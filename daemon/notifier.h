// systemd's notify protocol through libsystemd's sd_notify: READY=1 once serving, STATUS=
// lines, RELOADING=1 around SIGHUP, STOPPING=1 at SIGTERM, and WATCHDOG=1 from the event
// loop every half WatchdogSec (so a stuck loop stops the pings and systemd restarts us).
// Without NOTIFY_SOCKET every call does nothing.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace agentd {

class Notifier {
 public:
  explicit Notifier(const boost::asio::any_io_executor& executor);

  void ready(const std::string& status);
  void reloading();
  void stopping(const std::string& status);
  void status(const std::string& status);
  // Starts the watchdog pings when systemd asked for them (WATCHDOG_USEC); `status_line` is
  // sent with them when it changed.
  void start_watchdog(std::function<std::string()> status_line);
  void stop();

 private:
  void tick();

  boost::asio::steady_timer timer_;
  std::chrono::microseconds interval_{0};
  std::function<std::string()> status_line_;
  std::string last_status_;
};

}  // namespace agentd
