#include "agents/http/curl_multi.h"

#include <poll.h>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "agents/http/curl_handles.h"
#include "agents/http/transfer.h"

namespace agents::http {

namespace asio = boost::asio;
using boost::system::error_code;
using detail::Completion;
using detail::Transfer;
using WaitType = asio::posix::descriptor_base::wait_type;

namespace {

// A socket libcurl owns, watched by the reactor. The descriptor never closes the fd
// (libcurl does): it is released before destruction.
struct SocketWatch {
  SocketWatch(const asio::any_io_executor& executor, curl_socket_t socket_fd)
      : descriptor(executor, socket_fd), fd(socket_fd) {}
  ~SocketWatch() { close(); }
  SocketWatch(const SocketWatch&) = delete;
  SocketWatch& operator=(const SocketWatch&) = delete;

  // Stops watching: pending waits complete with operation_aborted and see `closed`.
  void close() {
    closed = true;
    if (descriptor.is_open()) (void)descriptor.release();
  }
  bool& waiting(WaitType type) {
    return type == WaitType::wait_read ? waiting_read : waiting_write;
  }

  asio::posix::stream_descriptor descriptor;
  curl_socket_t fd;
  int wanted = 0;  // CURL_POLL_IN / CURL_POLL_OUT bits
  bool waiting_read = false;
  bool waiting_write = false;
  bool closed = false;
};

// The reactor is edge-triggered: readiness that arrived while no wait was queued would be
// missed, so a wait starts with a zero-timeout poll.
bool ready_now(curl_socket_t fd, WaitType type) {
  pollfd entry{fd, static_cast<short>(type == WaitType::wait_read ? POLLIN : POLLOUT), 0};
  return ::poll(&entry, 1, 0) > 0 && entry.revents != 0;
}

void init_curl_once() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) {
    throw std::runtime_error(std::string("curl_global_init failed: ") + curl_easy_strerror(code));
  }
}

}  // namespace

class Client::Impl : public std::enable_shared_from_this<Impl> {
 public:
  explicit Impl(asio::any_io_executor executor)
      : executor_(std::move(executor)), timer_(executor_) {
    init_curl_once();
    multi_.reset(curl_multi_init());
    if (!multi_) throw std::runtime_error("curl_multi_init failed");
    curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
    curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
    curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, this);
  }

  ~Impl() {
    shutdown();
    multi_.reset();  // closes cached connections; REMOVE callbacks still find sockets_
    for (auto& [fd, watch] : sockets_) watch->close();
  }

  void start(Request request, Completion handler);
  void cancel(uint64_t id);  // from the caller's cancellation slot
  void shutdown() noexcept;

  const asio::any_io_executor& executor() const { return executor_; }
  std::size_t in_flight() const { return transfers_.size(); }
  uint64_t sockets_opened() const { return sockets_opened_; }

 private:
  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* userp, void* socketp);
  static int on_timer(CURLM* multi, long timeout_ms, void* userp);
  void watch_socket(curl_socket_t fd, int what, bool known);
  void forget_socket(curl_socket_t fd);
  void arm(const std::shared_ptr<SocketWatch>& watch);
  void wait(const std::shared_ptr<SocketWatch>& watch, WaitType type);
  void act(curl_socket_t fd, int event_bits);
  void drain_completions();
  void add_to_multi(uint64_t id);
  void finish(uint64_t id, CURLcode result);
  void remove_cancelled(uint64_t id);
  void complete(std::unique_ptr<Transfer> transfer, error_code ec);
  void outside_curl(std::function<void(Impl&)> work);

  asio::any_io_executor executor_;
  std::unordered_map<curl_socket_t, std::shared_ptr<SocketWatch>> sockets_;
  std::unordered_map<uint64_t, std::unique_ptr<Transfer>> transfers_;
  asio::steady_timer timer_;
  MultiHandle multi_;  // destroyed explicitly first: its callbacks use the members above
  uint64_t next_id_ = 1;
  uint64_t sockets_opened_ = 0;
  int curl_depth_ = 0;           // > 0 while libcurl runs: its API must not be re-entered then
  bool timeout_posted_ = false;  // an act(CURL_SOCKET_TIMEOUT) is posted and has not run
};

namespace {

// Lives in the caller's cancellation slot; the weak pointer makes a late emit harmless.
struct CancelRequest {
  std::weak_ptr<Client::Impl> impl;
  uint64_t id;
  void operator()(asio::cancellation_type type);
};

}  // namespace

// ---- requests ------------------------------------------------------------------------------

void Client::Impl::start(Request request, Completion handler) {
  auto transfer = std::make_unique<Transfer>(std::move(handler));
  Transfer& t = *transfer;
  t.id = next_id_++;
  t.request = std::move(request);
  t.sockets_opened = &sockets_opened_;
  t.io_work = asio::prefer(executor_, asio::execution::outstanding_work.tracked);
  t.handler_work = asio::prefer(asio::get_associated_executor(t.handler, executor_),
                                asio::execution::outstanding_work.tracked);
  if (const CURLcode code = detail::configure(t); code != CURLE_OK) {
    t.response.curl_code = code;
    complete(std::move(transfer), {});
    return;
  }
  t.slot = asio::get_associated_cancellation_slot(t.handler);
  if (t.slot.is_connected()) t.slot.emplace<CancelRequest>(CancelRequest{weak_from_this(), t.id});
  const uint64_t id = t.id;
  transfers_.emplace(id, std::move(transfer));
  outside_curl([id](Impl& self) { self.add_to_multi(id); });
}

void Client::Impl::add_to_multi(uint64_t id) {
  const auto it = transfers_.find(id);
  if (it == transfers_.end()) return;  // cancelled before it started
  Transfer& t = *it->second;
  if (const CURLMcode code = curl_multi_add_handle(multi_.get(), t.easy.get()); code != CURLM_OK) {
    auto transfer = std::move(it->second);
    transfers_.erase(it);
    transfer->response.curl_code = CURLE_FAILED_INIT;
    transfer->response.error = std::string("curl_multi_add_handle: ") + curl_multi_strerror(code);
    complete(std::move(transfer), {});
    return;
  }
  t.in_multi = true;
}

void CancelRequest::operator()(asio::cancellation_type type) {
  if (type == asio::cancellation_type::none) return;
  if (auto self = impl.lock()) self->cancel(id);
}

void Client::Impl::cancel(uint64_t id) {
  const auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  it->second->cancelled = true;  // if libcurl is running now, the callbacks abort
  outside_curl([id](Impl& self) { self.remove_cancelled(id); });
}

void Client::Impl::remove_cancelled(uint64_t id) {
  const auto it = transfers_.find(id);
  if (it == transfers_.end()) return;  // finished meanwhile
  auto transfer = std::move(it->second);
  transfers_.erase(it);
  if (transfer->in_multi) curl_multi_remove_handle(multi_.get(), transfer->easy.get());
  transfer->response.curl_code = CURLE_ABORTED_BY_CALLBACK;
  transfer->response.error = "request cancelled";
  complete(std::move(transfer), asio::error::operation_aborted);
}

void Client::Impl::finish(uint64_t id, CURLcode result) {
  const auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  auto transfer = std::move(it->second);
  transfers_.erase(it);
  detail::record_outcome(*transfer, result);
  curl_multi_remove_handle(multi_.get(), transfer->easy.get());
  const error_code ec = transfer->cancelled ? asio::error::operation_aborted : error_code{};
  complete(std::move(transfer), ec);
}

// The handler never runs inside this call (Asio's rule for initiating functions, and it keeps
// user code out of libcurl's callbacks): posted to the Client's loop, then run through the
// handler's own executor. Its cancellation slot is cleared just before it runs.
void Client::Impl::complete(std::unique_ptr<Transfer> transfer, error_code ec) {
  auto handler_executor = asio::get_associated_executor(transfer->handler, executor_);
  asio::post(executor_,
             asio::bind_executor(handler_executor,
                                 [handler = std::move(transfer->handler), slot = transfer->slot, ec,
                                  response = std::move(transfer->response)]() mutable {
                                   if (slot.is_connected()) slot.clear();
                                   std::move(handler)(ec, std::move(response));
                                 }));
  // Only now drop the transfer's work guards: the posted handler already counts as work, so
  // the io_context cannot see zero outstanding work and stop in between.
  transfer.reset();
}

// Runs from destructors, so it must not throw: a completion that cannot even be posted (out
// of memory) is destroyed uninvoked, the only thing left to do with it.
void Client::Impl::shutdown() noexcept {
  auto transfers = std::move(transfers_);
  transfers_.clear();
  for (auto& [id, transfer] : transfers) {
    if (transfer->in_multi) curl_multi_remove_handle(multi_.get(), transfer->easy.get());
    transfer->response.curl_code = CURLE_ABORTED_BY_CALLBACK;
    try {
      transfer->response.error = "HTTP client shut down";
      complete(std::move(transfer), asio::error::operation_aborted);
    } catch (const std::exception&) {
    }
  }
  error_code ignored;
  timer_.cancel(ignored);
}

void Client::Impl::outside_curl(std::function<void(Impl&)> work) {
  if (curl_depth_ == 0) {
    work(*this);
    return;
  }
  asio::post(executor_, [weak = weak_from_this(), work = std::move(work)] {
    if (auto self = weak.lock()) work(*self);
  });
}

// ---- libcurl <-> reactor -------------------------------------------------------------------

int Client::Impl::on_socket(CURL*, curl_socket_t fd, int what, void* userp, void* socketp) {
  auto& self = *static_cast<Impl*>(userp);
  try {
    if (what == CURL_POLL_REMOVE) {
      self.forget_socket(fd);
    } else {
      self.watch_socket(fd, what, socketp != nullptr);
    }
  } catch (const std::exception&) {
    return -1;  // the reactor refused the socket; libcurl fails the transfers using it
  }
  return 0;
}

// `known` is libcurl's word that this socket was announced before (curl_multi_assign). A
// watch for an unknown socket under a known fd number is stale (the number was reused after
// a close we were not told of), and its reactor registration died with the old socket.
void Client::Impl::watch_socket(curl_socket_t fd, int what, bool known) {
  auto it = sockets_.find(fd);
  if (it != sockets_.end() && !known) {
    forget_socket(fd);
    it = sockets_.end();
  }
  if (it == sockets_.end()) {
    it = sockets_.emplace(fd, std::make_shared<SocketWatch>(executor_, fd)).first;
    curl_multi_assign(multi_.get(), fd, it->second.get());
  }
  it->second->wanted = what;
  arm(it->second);
}

void Client::Impl::forget_socket(curl_socket_t fd) {
  const auto it = sockets_.find(fd);
  if (it == sockets_.end()) return;
  it->second->close();
  sockets_.erase(it);
}

void Client::Impl::arm(const std::shared_ptr<SocketWatch>& watch) {
  if ((watch->wanted & CURL_POLL_IN) && !watch->waiting_read) wait(watch, WaitType::wait_read);
  if ((watch->wanted & CURL_POLL_OUT) && !watch->waiting_write) wait(watch, WaitType::wait_write);
}

void Client::Impl::wait(const std::shared_ptr<SocketWatch>& watch, WaitType type) {
  watch->waiting(type) = true;
  auto on_ready = [weak = weak_from_this(), watch, type](error_code ec) {
    watch->waiting(type) = false;
    if (ec == asio::error::operation_aborted || watch->closed) return;
    auto self = weak.lock();
    if (!self) return;
    int bits = type == WaitType::wait_read ? CURL_CSELECT_IN : CURL_CSELECT_OUT;
    if (ec) bits |= CURL_CSELECT_ERR;
    self->act(watch->fd, bits);
    if (!watch->closed) self->arm(watch);
  };
  if (ready_now(watch->fd, type)) {
    asio::post(executor_, [on_ready = std::move(on_ready)]() mutable { on_ready(error_code{}); });
  } else {
    watch->descriptor.async_wait(type, std::move(on_ready));
  }
}

int Client::Impl::on_timer(CURLM*, long timeout_ms, void* userp) {
  auto& self = *static_cast<Impl*>(userp);
  if (timeout_ms < 0) {
    self.timer_.cancel();
    return 0;
  }
  if (timeout_ms == 0) {
    // "Now" (every new transfer asks for it): a post, not a timer, since re-arming the
    // reactor's timerfd costs a syscall each time. One post serves however many ask.
    self.timer_.cancel();
    if (!std::exchange(self.timeout_posted_, true))
      asio::post(self.executor_, [weak = self.weak_from_this()] {
        if (auto impl = weak.lock()) {
          impl->timeout_posted_ = false;
          impl->act(CURL_SOCKET_TIMEOUT, 0);
        }
      });
    return 0;
  }
  self.timer_.expires_after(std::chrono::milliseconds(timeout_ms));
  self.timer_.async_wait([weak = self.weak_from_this()](error_code ec) {
    if (ec) return;  // replaced by a newer timeout, or shut down
    if (auto impl = weak.lock()) impl->act(CURL_SOCKET_TIMEOUT, 0);
  });
  return 0;
}

void Client::Impl::act(curl_socket_t fd, int event_bits) {
  int running = 0;
  ++curl_depth_;
  curl_multi_socket_action(multi_.get(), fd, event_bits, &running);
  --curl_depth_;
  drain_completions();
}

void Client::Impl::drain_completions() {
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_.get(), &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    const CURLcode result = message->data.result;
    void* transfer = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
    if (transfer != nullptr) finish(static_cast<Transfer*>(transfer)->id, result);
  }
}

// ---- Client --------------------------------------------------------------------------------

Client::Client(asio::any_io_executor executor)
    : impl_(std::make_shared<Impl>(std::move(executor))) {}

Client::~Client() {
  impl_->shutdown();
}

void Client::start(Request request, asio::any_completion_handler<ResponseSignature> handler) {
  impl_->start(std::move(request), std::move(handler));
}

asio::any_io_executor Client::get_executor() const {
  return impl_->executor();
}
std::size_t Client::in_flight() const {
  return impl_->in_flight();
}
uint64_t Client::sockets_opened() const {
  return impl_->sockets_opened();
}

}  // namespace agents::http
