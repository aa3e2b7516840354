#include "gpu/scheduler.h"

#include <algorithm>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/post.hpp>
#include <sstream>

#include "gpu/scheduler_core.h"

namespace gpu {

namespace asio = boost::asio;
using detail::SchedulerCore;

Scheduler::Scheduler(asio::any_io_executor executor, uint32_t gpu_count, SchedulerOptions options,
                     LeaseEventCallback on_event)
    : core_(std::make_shared<SchedulerCore>(std::move(executor), gpu_count, options,
                                            std::move(on_event))) {}

Scheduler::~Scheduler() {
  core_->shutdown();
}

void Scheduler::start(LeaseRequest request, AcquireHandler handler) {
  core_->start(std::move(request), std::move(handler));
}

SchedulerMetrics Scheduler::metrics() const {
  return core_->metrics();
}
uint32_t Scheduler::gpu_count() const {
  return core_->gpu_count();
}

namespace detail {

namespace {

std::string who(const LeaseRequest& request) {
  return request.tenant + "/" + request.task + "/" + request.agent;
}

std::string share_key(const LeaseRequest& request) {
  return request.tenant + '\0' + request.task;
}

template <class Duration>
std::chrono::milliseconds to_ms(Duration duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration);
}

}  // namespace

SchedulerCore::SchedulerCore(asio::any_io_executor executor, uint32_t gpu_count,
                             SchedulerOptions options, LeaseEventCallback on_event)
    : executor_(std::move(executor)),
      options_(options),
      on_event_(std::move(on_event)),
      gpus_(gpu_count) {
  options_.max_sharers = std::max<uint32_t>(options_.max_sharers, 1);
}

std::optional<std::string> SchedulerCore::validate(const LeaseRequest& request) const {
  std::string prefix = "GPU request of " + who(request) + ": ";
  if (gpus_.empty()) return prefix + "this machine has no GPU to lease";
  if (request.count == 0) return prefix + "asks for 0 GPUs (expected at least 1)";
  if (request.count > gpus_.size()) {
    return prefix + "asks for " + std::to_string(request.count) + " GPUs but this machine has " +
           std::to_string(gpus_.size());
  }
  if (request.max_wait.count() < 0) return prefix + "negative maximum wait";
  return std::nullopt;
}

void SchedulerCore::start(LeaseRequest request, AcquireHandler handler) {
  if (auto problem = validate(request)) {
    fail_now(std::move(handler), *problem);
    return;
  }
  uint64_t id = next_id_++;
  auto waiter = std::make_shared<Waiter>(Waiter{id, std::move(request), std::move(handler),
                                                asio::steady_timer(executor_), Clock::now()});
  waiters_.emplace(id, waiter);
  queue_.push(waiter->request.tenant, waiter->request.task, id);
  counters_.max_queue_length = std::max(counters_.max_queue_length, queue_.size());
  dispatch(nullptr);
  if (waiters_.contains(id)) wait(waiter);
  flush_events();
}

// The request could not be granted at once: report it, arm its deadline, and let its
// cancellation slot take it out of the queue.
void SchedulerCore::wait(const std::shared_ptr<Waiter>& waiter) {
  uint64_t id = waiter->id;
  emit(LeaseEventKind::wait_started, waiter->request, id, {}, {}, {},
       queue_.position(id).value_or(0));
  std::weak_ptr<SchedulerCore> weak = weak_from_this();
  auto max_wait =
      waiter->request.max_wait.count() > 0 ? waiter->request.max_wait : options_.default_max_wait;
  waiter->timer.expires_after(max_wait);
  waiter->timer.async_wait([weak, id](const boost::system::error_code& error) {
    if (error) return;  // cancelled: the request was granted or failed already
    if (auto core = weak.lock()) core->on_timeout(id);
  });
  auto slot = asio::get_associated_cancellation_slot(waiter->handler);
  if (slot.is_connected()) {
    // Deferred through the executor: the signal's emitter may be inside anything.
    slot.assign([weak, id, executor = executor_](asio::cancellation_type_t) {
      asio::post(executor, [weak, id] {
        if (auto core = weak.lock()) core->on_cancel(id);
      });
    });
  }
}

void SchedulerCore::dispatch(const Holder* released) {
  while (auto next = queue_.front()) {
    auto waiter = waiters_.at(*next);
    auto gpus = pick(waiter->request);
    if (!gpus) return;
    queue_.pop_front();
    grant(waiter, std::move(*gpus), released);
  }
}

std::optional<std::vector<uint32_t>> SchedulerCore::pick(const LeaseRequest& request) const {
  std::vector<uint32_t> chosen;
  auto want = [&] { return chosen.size() < request.count; };
  if (request.mode == LeaseMode::shared) {
    // Agents of one task pack onto the GPU their task already shares.
    std::string key = share_key(request);
    for (uint32_t i = 0; i < gpus_.size() && want(); ++i) {
      const auto& gpu = gpus_[i];
      if (!gpu.holders.empty() && !gpu.exclusive && gpu.share_key == key &&
          gpu.holders.size() < options_.max_sharers) {
        chosen.push_back(i);
      }
    }
  }
  for (uint32_t i = 0; i < gpus_.size() && want(); ++i) {
    if (gpus_[i].holders.empty()) chosen.push_back(i);
  }
  if (want()) return std::nullopt;
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

void SchedulerCore::grant(const std::shared_ptr<Waiter>& waiter, std::vector<uint32_t> gpus,
                          const Holder* released) {
  auto now = Clock::now();
  const LeaseRequest& request = waiter->request;
  for (uint32_t index : gpus) {
    auto& gpu = gpus_[index];
    if (gpu.holders.empty()) {
      gpu.busy_since = now;
      gpu.exclusive = request.mode == LeaseMode::exclusive;
      gpu.share_key = share_key(request);
    }
    gpu.holders.push_back(waiter->id);
  }
  holders_[waiter->id] = Holder{request, gpus};
  ++counters_.granted;
  counters_.total_wait += now - waiter->enqueued;
  auto waited = to_ms(now - waiter->enqueued);
  emit(LeaseEventKind::granted, request, waiter->id, gpus, waited);
  if (released && std::find_first_of(gpus.begin(), gpus.end(), released->gpus.begin(),
                                     released->gpus.end()) != gpus.end()) {
    emit(LeaseEventKind::handover, request, waiter->id, gpus, waited, who(released->request));
  }
  waiters_.erase(waiter->id);
  complete(*waiter, Lease(weak_from_this(), waiter->id, std::move(gpus), request.mode));
}

void SchedulerCore::release(uint64_t lease_id) {
  auto found = holders_.find(lease_id);
  if (found == holders_.end()) return;
  Holder holder = std::move(found->second);
  holders_.erase(found);
  auto now = Clock::now();
  for (uint32_t index : holder.gpus) {
    auto& gpu = gpus_[index];
    std::erase(gpu.holders, lease_id);
    if (gpu.holders.empty()) {
      gpu.busy_total += now - gpu.busy_since;
      gpu.exclusive = false;
      gpu.share_key.clear();
    }
  }
  emit(LeaseEventKind::released, holder.request, lease_id, holder.gpus);
  dispatch(&holder);
  flush_events();
}

void SchedulerCore::fail_waiter(uint64_t id, const std::string& why, uint64_t& counter) {
  auto found = waiters_.find(id);
  if (found == waiters_.end()) return;
  auto waiter = found->second;
  size_t ahead = queue_.position(id).value_or(0);
  queue_.remove(id);
  waiters_.erase(found);
  ++counter;
  const auto& request = waiter->request;
  std::string message = "GPU request of " + who(request) + " (" + std::to_string(request.count) +
                        " " + std::string(to_string(request.mode)) + "): " + why + "; " +
                        std::to_string(ahead) + " request(s) were ahead of it; " +
                        holders_summary();
  auto waited = to_ms(Clock::now() - waiter->enqueued);
  emit(LeaseEventKind::wait_failed, request, id, {}, waited, message);
  complete(*waiter, base::Error{message});
  dispatch(nullptr);  // it may have been the request everyone else waited behind
  flush_events();
}

void SchedulerCore::on_timeout(uint64_t id) {
  auto found = waiters_.find(id);
  if (found == waiters_.end()) return;
  auto limit = to_ms(found->second->timer.expiry() - found->second->enqueued);
  fail_waiter(id, "no GPU became free within " + std::to_string(limit.count()) + " ms",
              counters_.timed_out);
}

void SchedulerCore::on_cancel(uint64_t id) {
  fail_waiter(id, "cancelled while waiting for a GPU", counters_.cancelled);
}

void SchedulerCore::complete(Waiter& waiter, LeaseResult result) {
  auto slot = asio::get_associated_cancellation_slot(waiter.handler);
  if (slot.is_connected()) slot.clear();
  waiter.timer.cancel();
  asio::post(executor_, asio::append(std::move(waiter.handler), std::move(result)));
}

void SchedulerCore::fail_now(AcquireHandler handler, std::string message) {
  asio::post(executor_,
             asio::append(std::move(handler), LeaseResult(base::Error{std::move(message)})));
}

void SchedulerCore::shutdown() {
  auto waiting = std::move(waiters_);
  waiters_.clear();
  for (auto& [id, waiter] : waiting) {
    queue_.remove(id);
    emit(LeaseEventKind::wait_failed, waiter->request, id, {}, {}, "GPU scheduler shut down");
    complete(*waiter,
             base::Error{"GPU request of " + who(waiter->request) + ": GPU scheduler shut down"});
  }
  flush_events();
}

std::string SchedulerCore::holders_summary() const {
  std::ostringstream out;
  out << gpus_.size() << " GPU(s):";
  for (size_t i = 0; i < gpus_.size(); ++i) {
    const auto& gpu = gpus_[i];
    out << " GPU " << i << " ";
    if (gpu.holders.empty()) {
      out << "free;";
    } else if (gpu.exclusive) {
      out << "held exclusively by " << who(holders_.at(gpu.holders.front()).request) << ";";
    } else {
      out << "shared by " << gpu.holders.size() << " lease(s) of task "
          << holders_.at(gpu.holders.front()).request.task << ";";
    }
  }
  return out.str();
}

SchedulerMetrics SchedulerCore::metrics() const {
  SchedulerMetrics result = counters_;
  result.queue_length = queue_.size();
  auto now = Clock::now();
  for (uint32_t i = 0; i < gpus_.size(); ++i) {
    const auto& gpu = gpus_[i];
    auto busy = gpu.busy_total + (gpu.holders.empty() ? Clock::duration{0} : now - gpu.busy_since);
    result.gpus.push_back({i, static_cast<uint32_t>(gpu.holders.size()), gpu.exclusive,
                           std::chrono::duration_cast<std::chrono::nanoseconds>(busy)});
  }
  return result;
}

void SchedulerCore::emit(LeaseEventKind kind, const LeaseRequest& who_asked, uint64_t id,
                         std::vector<uint32_t> gpus, std::chrono::milliseconds waited,
                         std::string detail, size_t position) {
  if (!on_event_) return;
  pending_events_.push_back(LeaseEvent{kind, id, who_asked.tenant, who_asked.task, who_asked.agent,
                                       who_asked.mode, std::move(gpus), waited, position,
                                       std::move(detail)});
}

// Events go out once the state is consistent, in order, even if a callback calls back in.
void SchedulerCore::flush_events() {
  if (flushing_ || pending_events_.empty()) return;
  auto self = shared_from_this();  // a callback may destroy the Scheduler
  flushing_ = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{flushing_};
  while (!pending_events_.empty()) {
    auto batch = std::move(pending_events_);
    pending_events_.clear();
    for (const auto& event : batch) on_event_(event);
  }
}

}  // namespace detail
}  // namespace gpu
