#include "daemon/exec_service.h"

#include <sys/stat.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <optional>

#include "agents/runtime/run_code.h"
#include "agents/runtime/sandbox_spec.h"
#include "agents/tools/workspace.h"
#include "agents/tools/workspace_dir.h"
#include "base/coroutine_warning.h"
#include "base/log.h"
#include "base/random_id.h"
#include "daemon/params.h"
#include "policies/compile.h"
#include "policies/workspace_path.h"
#include "sandbox/runner.h"

AGENTD_COROUTINE_FRAMES_BEGIN  // base/coroutine_warning.h says why

    namespace agentd {
  namespace asio = boost::asio;
  using agents::runtime::GpuHold;
  using nlohmann::json;

  namespace {

  constexpr size_t kMaxFiles = 64;
  constexpr size_t kMaxFileBytes = 8 << 20;  // all files together
  constexpr size_t kMaxStdinBytes = 8 << 20;

  // Why a run did not happen, in its base::Error's code; reply_for() turns it into the
  // client's JSON-RPC error.
  enum RunFailure : int {
    program_refused = 1,  // the program cannot run as given: the client's invalid /code
    not_started,          // the connection closed before the sandbox started
    server_fault,         // the server's own failure: logged, never shown
  };

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

  base::Expected<ExecRequest, rpc::Failure> read_request(const json& params) {
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
  // at spawn; its parent is 0711, so no other local user can list or guess it. Blocking file
  // work: called on the blocking pool. A failure leaves nothing behind (the owner removes it).
  base::Expected<agents::tools::WorkspaceDir> make_workspace(
      const std::string& root,
      const std::vector<std::pair<policies::WorkspacePath, std::string>>& files) {
    const std::string parent = root + "/exec";
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) return base::Error{"create " + parent + ": " + error.message(), 0, error.value()};
    ::chmod(parent.c_str(), 0711);
    auto dir = agents::tools::WorkspaceDir::make(parent + "/" + base::random_id("x-", 12), 0777);
    if (!dir) return dir.error();
    auto workspace = agents::tools::Workspace::open(dir->path().string());
    if (!workspace) return workspace.error();
    for (const auto& [path, content] : files)
      if (auto written = workspace->write_file(path, content); !written) return written.error();
    return std::move(*dir);
  }

  // A lease not granted, as the client's error: the GPUs are a quota, as sandboxes are.
  rpc::Failure gpu_quota_failure(const base::Error& error, uint64_t gpus) {
    return rpc::Failure{
        rpc::quota_exceeded,
        "quota exceeded: gpus (limit " + std::to_string(gpus) + "): " + error.message,
        json{{"quota", "gpus"}, {"limit", gpus}}};
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
    if (!read) co_return Reply::error(read.error());
    ExecRequest request = std::move(*read);
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

  asio::awaitable<base::Expected<GpuHold>> ExecService::lease_gpus(std::string tenant,
                                                                   policies::GpuScope grant) {
    if (grant.count == 0) co_return GpuHold{};
    // Each run is a task of its own: shared GPUs are shared within a task, never across.
    agents::runtime::GpuRequest request = agents::runtime::gpu_request(
        grant, std::move(tenant), base::random_id("exec-", 12), "exec");
    // No task to report gpu.* events to: the reply says how it went.
    agents::runtime::GpuReport report = [](const std::string&, const json&) {};
    co_return co_await gpus_->acquire(std::move(request), std::move(report));
  }

  // The sandbox itself: its Result, or why it did not run.
  asio::awaitable<base::Expected<sandbox::Result>> ExecService::run_sandbox(
      const policies::Compiled& policy, const ExecRequest& request, const std::string& workspace,
      const GpuHold& gpus, Running& running) {
    agents::runtime::RunCodeRequest code;
    code.language = request.language;
    code.code = request.code;
    code.stdin_data = request.stdin_data;
    code.workspace = workspace;
    auto spec = agents::runtime::sandbox_spec(policy, code, gpus, gpus_.get(), request.timeout);
    if (!spec) co_return base::Error{spec.error().message, program_refused};
    if (running.cancelled)
      co_return base::Error{"the connection closed before the sandbox started", not_started};
    co_return co_await runner_->async_run(
        loop_, std::move(*spec),
        asio::bind_cancellation_slot(running.cancel.slot(), asio::use_awaitable));
  }

  // The request's files in a fresh workspace (none without files), made on the blocking pool.
  asio::awaitable<base::Expected<std::optional<agents::tools::WorkspaceDir>>>
  ExecService::make_workspace_for(const ExecRequest& request) {
    if (request.files.empty()) co_return std::optional<agents::tools::WorkspaceDir>();
    co_await asio::post(blocking_, asio::use_awaitable);
    auto made = make_workspace(workspace_root_, request.files);
    co_await asio::post(loop_, asio::use_awaitable);
    if (!made) co_return base::Error{"exec.run workspace: " + made.error().message, server_fault};
    co_return std::optional(std::move(*made));
  }

  // Removing a tree a sandbox filled is blocking file work: on the blocking pool.
  asio::awaitable<void> ExecService::discard(std::optional<agents::tools::WorkspaceDir> workspace) {
    if (!workspace) co_return;
    co_await asio::post(blocking_, asio::use_awaitable);
    workspace.reset();
    co_await asio::post(loop_, asio::use_awaitable);
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
    auto gpus = co_await lease_gpus(std::move(tenant), policy->scope.gpu);
    if (!gpus) co_return Reply::error(gpu_quota_failure(gpus.error(), gpu_count()));
    metrics_.sandboxes_running.add(1);
    auto ran = co_await run_with_files(*policy, request, *gpus, *running);
    metrics_.sandboxes_running.add(-1);
    co_return reply_for(ran, *running);
  }

  // The sandbox on a fresh workspace holding the request's files (none without files). The
  // GPUs go back as soon as the sandbox is gone; the workspace goes after them.
  asio::awaitable<base::Expected<sandbox::Result>> ExecService::run_with_files(
      const policies::Compiled& policy, const ExecRequest& request, GpuHold& gpus,
      Running& running) {
    auto workspace = co_await make_workspace_for(request);
    if (!workspace) {
      gpus.release();
      co_return workspace.error();
    }
    const std::string dir = *workspace ? (*workspace)->path().string() : "";
    auto ran = co_await run_sandbox(policy, request, dir, gpus, running);
    gpus.release();
    co_await discard(std::move(*workspace));
    co_return ran;
  }

  // The reply for a run, made here at the edge: the run itself knows no JSON-RPC.
  Reply ExecService::reply_for(const base::Expected<sandbox::Result>& ran, const Running& running) {
    if (!ran) {
      const base::Error& error = ran.error();
      if (error.code == server_fault) {
        base::log::error() << error.message;  // it names exec.run and the step
        return Reply::error(rpc::internal_error, "internal error");
      }
      if (error.code == program_refused && !running.cancelled)
        return Reply::error(rpc::invalid_params_at("/code", error.message));
      return Reply::error(rpc::internal_error, error.message);
    }
    metrics_.sandbox_finished(std::string(sandbox::to_string(ran->status)),
                              static_cast<double>(ran->wall_ms) / 1000.0, "exec");
    return Reply::ok(sandbox::to_json(*ran));
  }

  uint64_t ExecService::gpu_count() const {
    return gpus_ ? gpus_->inventory().gpus.size() : 0;
  }

  AGENTD_COROUTINE_FRAMES_END

}  // namespace agentd
