#include "daemon/notifier.h"

#include <systemd/sd-daemon.h>

#include <cstdint>

namespace agentd {

Notifier::Notifier(const boost::asio::any_io_executor& executor) : timer_(executor) {}

void Notifier::ready(const std::string& status) {
  last_status_ = status;
  sd_notify(0, ("READY=1\nSTATUS=" + status).c_str());
}

void Notifier::reloading() {
  sd_notify(0, "RELOADING=1\nSTATUS=reloading configuration");
}

void Notifier::stopping(const std::string& status) {
  last_status_ = status;
  sd_notify(0, ("STOPPING=1\nSTATUS=" + status).c_str());
}

void Notifier::status(const std::string& status) {
  if (status == last_status_) return;
  last_status_ = status;
  sd_notify(0, ("STATUS=" + status).c_str());
}

void Notifier::start_watchdog(std::function<std::string()> status_line) {
  status_line_ = std::move(status_line);
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) interval_ = std::chrono::microseconds(usec);
  // Without a watchdog the status line is still refreshed, every few seconds.
  tick();
}

void Notifier::tick() {
  if (interval_.count() > 0) sd_notify(0, "WATCHDOG=1");
  if (status_line_) status(status_line_());
  const auto period = interval_.count() > 0 ? std::chrono::microseconds(interval_.count() / 2)
                                            : std::chrono::microseconds(std::chrono::seconds(5));
  timer_.expires_after(period);
  timer_.async_wait([this](boost::system::error_code error) {
    if (!error) tick();
  });
}

void Notifier::stop() {
  timer_.cancel();
  status_line_ = nullptr;
}

}  // namespace agentd
