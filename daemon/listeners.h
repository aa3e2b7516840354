// The listening sockets: TCP (plain, or TLS when a certificate is configured) and a unix
// socket, each accepting into an HTTP session. close() stops accepting (when a drain ends:
// during it, new connections are answered 503) and leaves open connections alone.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <memory>

#include "base/expected.h"
#include "daemon/config.h"
#include "daemon/gateway.h"

namespace agentd {

class Listeners {
 public:
  static base::Expected<std::unique_ptr<Listeners>> open(
      const boost::asio::any_io_executor& executor, const ListenConfig& listen,
      const TlsConfig& tls, Gateway& gateway);
  ~Listeners();
  Listeners(const Listeners&) = delete;
  Listeners& operator=(const Listeners&) = delete;

  uint16_t tcp_port() const;  // 0 without TCP
  void close();

  struct Impl;

 private:
  explicit Listeners(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace agentd
