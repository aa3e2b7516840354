#include "daemon/exec_service.h"

#include <sys/stat.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "agents/runtime/run_code.h"
#include "agents/tools/workspace.h"
#include "base/coroutine_warning.h"
#include "base/log.h"
#include "daemon/params.h"
#include "daemon/random_id.h"
#include "policies/compile.h"
#include "policies/workspace_path.h"
#include "sandbox/runner.h"

AGENTD_COROUTINE_FRAMES_BEGIN  // base/coroutine_warning.h says why

    namespace agentd {
  namespace asio = boost::asio;
  using nlohmann::json;

  namespace {

  constexpr size_t kMaxFiles = 64;
  constexpr size_t kMaxFileBytes = 8 << 20;  // all files together
  constexpr size_t kMaxStdinBytes = 8 << 20;

  }  // namespace

  struct ExecService::Request {
    std::string policy;
    policies::Language language = policies::Language::python;
    std::string code;
    std::string stdin_data;
    // Parsed once, by the parse a policy check uses; exactly these paths are written.
    std::vector<std::pair<policies::WorkspacePath, std::string>> files;
    std::optional<std::chrono::milliseconds> timeout;
  };

  namespace {

  using ExecRequest = ExecService::Request;

  std::optional<rpc::Failure> read_files(Params& p, ExecRequest& request) {
    const json* files = p.find("files");
    if (!files) return std::nullopt;
    if (!files->is_array() || files->size() > kMaxFiles)
      return rpc::invalid_params_at("/files", "an array of at most 64 {path, content}");
    size_t total = 0;
    for (size_t i = 0; i < files->size(); ++i) {
      const json& file = (*files)[i];
      const std::string at = "/files/" + std::to_string(i);
      Params f(file, {"path", "content"});
      std::string path = f.string("path", 4096);
      const json* content = f.find("content");
      if (!content || !content->is_string()) f.fail("content", "a string");
      auto parsed = policies::WorkspacePath::parse(path);
      if (!parsed)
        f.fail("path", "a file path inside the workspace: " + parsed.error().message);
      else if (parsed->is_root())
        f.fail("path", "a file path inside the workspace, not the workspace itself");
      if (f.failure())
        return rpc::invalid_params_at(at + f.failure()->data.value("path", ""),
                                      f.failure()->data.value("expected", ""));
      total += content->get_ref<const std::string&>().size();
      if (total > kMaxFileBytes)
        return rpc::invalid_params_at(at + "/content", "files of at most 8 MiB together");
      request.files.emplace_back(std::move(*parsed), content->get<std::string>());
    }
    return std::nullopt;
  }

  std::variant<ExecRequest, rpc::Failure> read_request(const json& params) {
    Params p(params, {"policy", "language", "code", "stdin", "files", "timeout"});
    ExecRequest request;
    request.policy = p.string("policy", 256);
    const std::string language = p.string("language", 16);
    request.code = p.string("code", agents::runtime::kMaxCodeBytes);
    request.stdin_data = p.optional_string("stdin", kMaxStdinBytes).value_or("");
    const double timeout = p.number("timeout", 0, 0.001, 86400);
    if (auto parsed = policies::parse_language(language))
      request.language = *parsed;
    else if (!p.failure())
      p.fail("language", "one of python, bash, c, cpp, node");
    if (p.failure()) return *p.failure();
    if (timeout > 0)
      request.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
    if (auto failure = read_files(p, request)) return *failure;
    return request;
  }

  // workspace_root/exec/<random>, world-writable because the sandbox's host uid is only known
  // at spawn; its parent is 0711, so no other local user can list or guess it.
  base::Expected<std::string> make_workspace(
      const std::string& root,
      const std::vector<std::pair<policies::WorkspacePath, std::string>>& files) {
    const std::string parent = root + "/exec";
    const std::string name = random_id("x-", 12);
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) return base::Error{"create " + parent + ": " + error.message()};
    ::chmod(parent.c_str(), 0711);
    const std::string dir = parent + "/" + name;
    if (::mkdir(dir.c_str(), 0700) != 0 || ::chmod(dir.c_str(), 0777) != 0)
      return base::Error{"mkdir " + dir + ": " + std::strerror(errno)};
    auto workspace = agents::tools::Workspace::open(dir);
    if (!workspace) return workspace.error();
    for (const auto& [path, content] : files)
      if (auto written = workspace->write_file(path, content); !written) {
        std::filesystem::remove_all(dir, error);
        return written.error();
      }
    return dir;
  }

  }  // namespace

  ExecService::ExecService(asio::any_io_executor loop, asio::any_io_executor blocking,
                           std::shared_ptr<sandbox::Runner> runner, std::string workspace_root,
                           std::function<agents::PolicyLookup(const Tenant&)> policies,
                           TenantUsage & usage, DaemonMetrics & metrics)
      : loop_(std::move(loop)),
        blocking_(std::move(blocking)),
        runner_(std::move(runner)),
        workspace_root_(std::move(workspace_root)),
        policies_(std::move(policies)),
        usage_(usage),
        metrics_(metrics) {}

  void ExecService::cancel_peer(uint64_t peer) {
    auto [first, last] = running_.equal_range(peer);
    for (auto it = first; it != last; ++it) {
      if (auto running = it->second.lock()) {
        running->cancelled = true;
        running->cancel.emit(asio::cancellation_type::terminal);
      }
    }
    running_.erase(peer);
  }

  // Weak: a run's frame may outlive this service when the loop is torn down with it suspended.
  // Entries of runs that ended go when their peer registers the next run or closes.
  void ExecService::track(uint64_t peer, const std::shared_ptr<Running>& running) {
    auto [first, last] = running_.equal_range(peer);
    for (auto it = first; it != last;) it = it->second.expired() ? running_.erase(it) : ++it;
    running_.emplace(peer, running);
  }

  asio::awaitable<Reply> ExecService::run(Tenant tenant, json params, uint64_t peer) {
    auto read = read_request(params);
    if (auto* failure = std::get_if<rpc::Failure>(&read)) co_return Reply::error(*failure);
    ExecRequest request = std::move(std::get<ExecRequest>(read));
    auto compiled =
        tenant.allows_policy(request.policy) ? policies_(tenant)(request.policy) : nullptr;
    if (!compiled)
      co_return Reply::error(rpc::policy_not_allowed,
                             "policy \"" + request.policy + "\" is not allowed for this tenant",
                             json{{"policy", request.policy}});
    if (auto refusal = compiled->scope.check_run_code(policies::to_string(request.language)))
      co_return Reply::error(rpc::policy_not_allowed, refusal->reason,
                             json{{"policy", request.policy}, {"reason", refusal->reason}});
    if (const uint32_t count = compiled->scope.gpu.count; count > 0 && !gpus_) {
      const std::string reason = agents::runtime::no_gpus_reason(request.policy, count);
      co_return Reply::error(rpc::policy_not_allowed, reason,
                             json{{"policy", request.policy}, {"reason", reason}});
    }
    if (!runner_)
      co_return Reply::error(rpc::internal_error, "internal error: sandboxes are unavailable");
    if (auto refused = usage_.admit_sandbox(tenant)) co_return Reply::error(*refused);

    // A run waiting for its GPUs holds one of the tenant's sandboxes: the quota bounds waiters.
    usage_.sandbox_started(tenant.name);
    Reply reply = co_await run_admitted(tenant.name, std::move(request), std::move(compiled), peer);
    usage_.sandbox_ended(tenant.name);
    co_return reply;
  }

  asio::awaitable<std::variant<agents::runtime::GpuHold, rpc::Failure>> ExecService::lease_gpus(
      std::string tenant, std::shared_ptr<const policies::Compiled> policy) {
    const policies::GpuScope& grant = policy->scope.gpu;
    if (grant.count == 0) co_return agents::runtime::GpuHold{};
    // Each run is a task of its own: shared GPUs are shared within a task, never across.
    agents::runtime::GpuRequest request{
        std::move(tenant),
        random_id("exec-", 12),
        "exec",
        grant.count,
        grant.exclusive ? agents::runtime::GpuMode::exclusive : agents::runtime::GpuMode::shared,
        {}};
    // No task to report gpu.* events to: the reply says how it went.
    agents::runtime::GpuReport report = [](const std::string&, json) {};
    auto held = co_await gpus_->acquire(std::move(request), std::move(report));
    if (held) co_return std::move(*held);
    const uint64_t gpus = gpus_->inventory().gpus.size();
    co_return rpc::Failure{
        rpc::quota_exceeded,
        "quota exceeded: gpus (limit " + std::to_string(gpus) + "): " + held.error().message,
        json{{"quota", "gpus"}, {"limit", gpus}}};
  }

  // The sandbox itself: its Result, or why it did not run (the client's error: the program
  // cannot run as given, or the connection closed before it started).
  asio::awaitable<std::variant<sandbox::Result, std::string>> ExecService::run_sandbox(
      const policies::Compiled& policy, const ExecRequest& request, const std::string& workspace,
      agents::runtime::GpuHold& gpus, Running& running) {
    agents::runtime::RunCodeRequest code{
        request.language, request.code, request.stdin_data, workspace, {}};
    auto spec = agents::runtime::run_code_spec(policy, code);
    if (!spec) co_return spec.error().message;
    if (running.cancelled)
      co_return std::string("the connection closed before the sandbox started");
    if (request.timeout)
      spec->limits.wall_time = std::min(spec->limits.wall_time, *request.timeout);
    if (gpus.held())
      gpus.add_to(*spec);
    else
      agents::runtime::hide_gpus(gpus_.get(), *spec);
    co_return co_await runner_->async_run(
        loop_, std::move(*spec),
        asio::bind_cancellation_slot(running.cancel.slot(), asio::use_awaitable));
  }

  asio::awaitable<Reply> ExecService::run_admitted(std::string tenant, ExecRequest request,
                                                   std::shared_ptr<const policies::Compiled> policy,
                                                   uint64_t peer) {
    auto running = std::make_shared<Running>();
    track(peer, running);
    struct InFlight {
      std::shared_ptr<size_t> count;
      ~InFlight() { --*count; }
    } in_flight{in_flight_};
    ++*in_flight_;
    auto leased = co_await lease_gpus(std::move(tenant), policy);
    if (auto* failure = std::get_if<rpc::Failure>(&leased)) co_return Reply::error(*failure);
    agents::runtime::GpuHold gpus = std::move(std::get<agents::runtime::GpuHold>(leased));
    metrics_.sandboxes_running.add(1);
    std::optional<std::string> workspace;
    std::variant<sandbox::Result, std::string> ran = std::string();
    std::string internal;  // the server's: logged, never shown
    if (!request.files.empty()) {
      co_await asio::post(blocking_, asio::use_awaitable);
      auto made = make_workspace(workspace_root_, request.files);
      co_await asio::post(loop_, asio::use_awaitable);
      if (made)
        workspace = *made;
      else
        internal = "exec.run workspace: " + made.error().message;
    }
    if (internal.empty())
      ran = co_await run_sandbox(*policy, request, workspace.value_or(""), gpus, *running);
    gpus.release();
    if (workspace) {
      co_await asio::post(blocking_, asio::use_awaitable);
      std::error_code ignored;
      std::filesystem::remove_all(*workspace, ignored);
      co_await asio::post(loop_, asio::use_awaitable);
    }
    metrics_.sandboxes_running.add(-1);
    if (!internal.empty()) {
      base::log::error() << "" << internal;
      co_return Reply::error(rpc::internal_error, "internal error");
    }
    if (auto* error = std::get_if<std::string>(&ran)) {
      if (running->cancelled) co_return Reply::error(rpc::internal_error, *error);
      co_return Reply::error(rpc::invalid_params_at("/code", *error));
    }
    const sandbox::Result& result = std::get<sandbox::Result>(ran);
    metrics_.sandbox_finished(std::string(sandbox::to_string(result.status)),
                              static_cast<double>(result.wall_ms) / 1000.0, "exec");
    co_return Reply::ok(sandbox::to_json(result));
  }

  AGENTD_COROUTINE_FRAMES_END

}  // namespace agentd
