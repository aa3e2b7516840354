#include "daemon/listeners.h"

#include <sys/stat.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <iostream>

#include "base/log.h"
#include "daemon/http_session.h"

namespace agentd {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using local = asio::local::stream_protocol;

namespace {

// An accept loop over any acceptor. A failed accept (EMFILE) waits a little instead of
// spinning.
template <class Acceptor, class StartSession>
class AcceptLoop : public std::enable_shared_from_this<AcceptLoop<Acceptor, StartSession>> {
 public:
  AcceptLoop(Acceptor acceptor, StartSession start)
      : acceptor_(std::move(acceptor)),
        start_(std::move(start)),
        retry_(acceptor_.get_executor()) {}

  void run() {
    acceptor_.async_accept([self = this->shared_from_this()](error_code error, auto socket) {
      if (error == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
      if (error) {
        base::log::error() << "accept: " << error.message();
        self->retry_.expires_after(std::chrono::milliseconds(100));
        self->retry_.async_wait([self](error_code timer_error) {
          if (!timer_error) self->run();
        });
        return;
      }
      self->start_(std::move(socket));
      self->run();
    });
  }

  void close() {
    error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
  }
  Acceptor& acceptor() { return acceptor_; }

 private:
  Acceptor acceptor_;
  StartSession start_;
  asio::steady_timer retry_;
};

base::Expected<std::unique_ptr<ssl::context>> make_tls(const TlsConfig& tls) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  error_code error;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
  context->use_certificate_chain_file(tls.cert, error);
  if (error) return base::Error{"tls.cert " + tls.cert + ": " + error.message()};
  context->use_private_key_file(tls.key, ssl::context::pem, error);
  if (error) return base::Error{"tls.key " + tls.key + ": " + error.message()};
  return context;
}

}  // namespace

struct Listeners::Impl {
  std::unique_ptr<ssl::context> tls;
  std::function<void()> close_tcp;
  std::function<void()> close_unix;
  uint16_t tcp_port = 0;
  std::string unix_path;
};

Listeners::Listeners(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Listeners::~Listeners() {
  close();
}

uint16_t Listeners::tcp_port() const {
  return impl_->tcp_port;
}

void Listeners::close() {
  if (impl_->close_tcp) std::exchange(impl_->close_tcp, nullptr)();
  if (impl_->close_unix) {
    std::exchange(impl_->close_unix, nullptr)();
    ::unlink(impl_->unix_path.c_str());
  }
}

namespace {

base::Status open_tcp(const asio::any_io_executor& executor, const ListenConfig& listen,
                      Gateway& gateway, Listeners::Impl& impl) {
  error_code error;
  const auto address = asio::ip::make_address(listen.address, error);
  if (error) return base::Error{"listen.address \"" + listen.address + "\": " + error.message()};
  tcp::acceptor acceptor(executor);
  const tcp::endpoint endpoint(address, listen.port);
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error)
    return base::Error{"listen on " + listen.address + ":" + std::to_string(listen.port) + ": " +
                       error.message()};
  impl.tcp_port = acceptor.local_endpoint().port();
  ssl::context* tls = impl.tls.get();
  auto start = [&gateway, tls](tcp::socket socket) {
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (tls) {
      std::make_shared<HttpSession<TlsStream>>(TlsStream(TcpStream(std::move(socket)), *tls),
                                               gateway, "tls")
          ->run();
    } else {
      std::make_shared<HttpSession<TcpStream>>(TcpStream(std::move(socket)), gateway, "tcp")->run();
    }
  };
  auto loop =
      std::make_shared<AcceptLoop<tcp::acceptor, decltype(start)>>(std::move(acceptor), start);
  loop->run();
  impl.close_tcp = [loop] { loop->close(); };
  return base::Ok{};
}

base::Status open_unix(const asio::any_io_executor& executor, const ListenConfig& listen,
                       Gateway& gateway, Listeners::Impl& impl) {
  struct stat st {};
  // A socket left by a daemon that died is replaced; any other file is the operator's.
  if (::lstat(listen.unix_path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return base::Error{"listen.unix " + listen.unix_path + ": exists and is not a socket"};
    ::unlink(listen.unix_path.c_str());
  }
  error_code error;
  local::acceptor acceptor(executor);
  acceptor.open(local(), error);
  if (!error) acceptor.bind(local::endpoint(listen.unix_path), error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) return base::Error{"listen.unix " + listen.unix_path + ": " + error.message()};
  if (::chmod(listen.unix_path.c_str(), listen.unix_mode) != 0)
    return base::Error{"chmod " + listen.unix_path + ": " + std::strerror(errno)};
  impl.unix_path = listen.unix_path;
  auto start = [&gateway](local::socket socket) {
    std::make_shared<HttpSession<UnixStream>>(UnixStream(std::move(socket)), gateway, "unix")
        ->run();
  };
  auto loop =
      std::make_shared<AcceptLoop<local::acceptor, decltype(start)>>(std::move(acceptor), start);
  loop->run();
  impl.close_unix = [loop] { loop->close(); };
  return base::Ok{};
}

}  // namespace

base::Expected<std::unique_ptr<Listeners>> Listeners::open(const asio::any_io_executor& executor,
                                                           const ListenConfig& listen,
                                                           const TlsConfig& tls, Gateway& gateway) {
  auto impl = std::make_unique<Impl>();
  if (tls.enabled()) {
    auto context = make_tls(tls);
    if (!context) return context.error();
    impl->tls = std::move(*context);
  }
  std::unique_ptr<Listeners> listeners(new Listeners(std::move(impl)));
  Impl& state = *listeners->impl_;
  if (!listen.address.empty())
    if (auto opened = open_tcp(executor, listen, gateway, state); !opened) return opened.error();
  if (!listen.unix_path.empty())
    if (auto opened = open_unix(executor, listen, gateway, state); !opened) return opened.error();
  return listeners;
}

}  // namespace agentd
