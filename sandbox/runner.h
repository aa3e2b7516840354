// sandbox::Runner: spawns sandboxes from Specs and supervises them on an Asio executor
// (pidfd and pipes as descriptors, one timer each), so one thread can watch hundreds.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "sandbox/base.h"
#include "sandbox/cgroup.h"
#include "sandbox/result.h"
#include "sandbox/spec.h"

namespace sandbox {

struct RunnerOptions {
  // Host uids/gids handed out to sandboxes, one per live sandbox, never 0. The sandbox's own
  // user (uid/gid 1000 inside) maps to the leased id. The default range sits far above the
  // ids useradd hands to people and to rootless containers (/etc/subuid starts at 100000).
  uint32_t first_host_id = 2000000000;
  uint32_t host_id_count = 1000;
  // Lock files that make id leases exclusive across processes (several agentbox runs, a
  // daemon and tests); a lease dies with its process.
  std::string id_lock_dir = "/run/agentd/ids";
  // Parent cgroup for sandboxes; empty: "agentd-sandboxes" under this process's own cgroup.
  std::string cgroup_parent;
};

using RunHandler = boost::asio::any_completion_handler<void(Result)>;

class Runner {
 public:
  static Expected<std::shared_ptr<Runner>> create(RunnerOptions options = {});
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Runs `spec` and completes with its Result (setup failures are a Result too). Cancelling
  // the operation (its cancellation slot) kills the sandbox; the Result then says `signaled`
  // with SIGKILL. Usable with any completion token: use_awaitable, callbacks, futures.
  template <class Token>
  auto async_run(boost::asio::any_io_executor executor, Spec spec, Token&& token) {
    return boost::asio::async_initiate<Token, void(Result)>(
        [this](RunHandler handler, boost::asio::any_io_executor ex, Spec s) {
          start(std::move(ex), std::move(s), std::move(handler));
        },
        token, std::move(executor), std::move(spec));
  }

  // Blocking wrapper for the CLI and tests: runs one sandbox on a private io_context.
  Result run(Spec spec);

  cgroup::Version cgroup_version() const;

  struct Shared;  // ids, cgroup manager: shared with in-flight runs

 private:
  explicit Runner(std::shared_ptr<Shared> shared);
  void start(boost::asio::any_io_executor executor, Spec spec, RunHandler handler);
  std::shared_ptr<Shared> shared_;
};

}  // namespace sandbox
