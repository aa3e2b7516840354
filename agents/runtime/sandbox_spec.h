// The one place where a policy, a request to run code, its workspace and its GPUs become a
// sandbox::Spec (DESIGN.md: one function for run_code and exec.run alike): run_code,
// best_of_n's candidate tests and the daemon's exec.run all build theirs here, so the same
// program under the same policy runs in the same sandbox whichever way it came. Two steps,
// because a program that cannot run as given (code too long, a NUL byte) must fail before a
// GPU is leased for it:
//
//   auto builder = SandboxSpecBuilder::prepare(policy, request);  // the program's part
//   auto gpus = co_await provider.acquire(gpu_request(builder->gpu_grant(), ...), ...);
//   auto spec = std::move(*builder).build(*gpus, &provider);      // + GPUs, or none visible
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "agents/runtime/gpu_provider.h"
#include "agents/runtime/run_code.h"
#include "base/expected.h"
#include "policies/compile.h"
#include "sandbox/spec.h"

namespace agents::runtime {

class SandboxSpecBuilder {
 public:
  // The policy's template (limits, mounts, network, seccomp, environment) running `request`'s
  // program with its stdin, on its workspace; `max_wall_time` (exec.run's timeout) shortens
  // the policy's wall time, never lengthens it. The error says why the program cannot run.
  static base::Expected<SandboxSpecBuilder> prepare(
      const policies::Compiled& policy, const RunCodeRequest& request,
      std::optional<std::chrono::milliseconds> max_wall_time = std::nullopt);

  // The GPUs to lease before build(): the policy's grant (count 0: none).
  const policies::GpuScope& gpu_grant() const { return grant_; }

  // The Spec, with the passthrough of exactly the GPUs `gpus` holds; under a policy granting
  // none, with the host's GPUs hidden (`provider`'s view of none, or gpu::hide_host_gpus where
  // this daemon has no provider). A hold that does not match the grant is refused, so no GPU
  // device node reaches a sandbox without its lease or beyond its policy.
  base::Expected<sandbox::Spec> build(const GpuHold& gpus, const GpuProvider* provider) &&;
  // The Spec with the host's GPUs hidden whatever the policy grants: for a sandbox that runs
  // no code of the agent's and needs none (best_of_n's test harness).
  sandbox::Spec build_without_gpus(const GpuProvider* provider) &&;

 private:
  SandboxSpecBuilder(sandbox::Spec spec, policies::GpuScope grant, std::string policy_name)
      : spec_(std::move(spec)), grant_(grant), policy_name_(std::move(policy_name)) {}

  sandbox::Spec spec_;  // everything but the GPUs
  policies::GpuScope grant_;
  std::string policy_name_;
};

// prepare() and build() at once, for a caller whose GPUs are leased already (exec.run).
base::Expected<sandbox::Spec> sandbox_spec(
    const policies::Compiled& policy, const RunCodeRequest& request, const GpuHold& gpus,
    const GpuProvider* provider,
    std::optional<std::chrono::milliseconds> max_wall_time = std::nullopt);

// The request for the GPUs a policy's `grant` gives one sandbox of `agent` in `task`, queued
// fairly by `tenant` (empty: unknown) with the provider's default wait.
GpuRequest gpu_request(const policies::GpuScope& grant, std::string tenant, std::string task,
                       std::string agent);

}  // namespace agents::runtime
