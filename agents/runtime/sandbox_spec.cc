#include "agents/runtime/sandbox_spec.h"

#include <algorithm>
#include <utility>

#include "gpu/passthrough.h"

namespace agents::runtime {

base::Expected<SandboxSpecBuilder> SandboxSpecBuilder::prepare(
    const policies::Compiled& policy, const RunCodeRequest& request,
    std::optional<std::chrono::milliseconds> max_wall_time) {
  auto spec = run_code_spec(policy, request);
  if (!spec) return spec.error();
  if (max_wall_time) spec->limits.wall_time = std::min(spec->limits.wall_time, *max_wall_time);
  return SandboxSpecBuilder(std::move(*spec), policy.scope.gpu, policy.scope.policy_name);
}

base::Expected<sandbox::Spec> SandboxSpecBuilder::build(const GpuHold& gpus,
                                                        const GpuProvider* provider) && {
  // Both callers lease exactly the grant first; a mismatch is this program's bug, and the
  // sandbox must not run with GPUs it should not see, nor without those it was promised.
  if (gpus.held() != (grant_.count > 0))
    return base::Error{"internal error: policy \"" + policy_name_ + "\" grants " +
                       std::to_string(grant_.count) + " GPU(s), and " +
                       std::to_string(gpus.gpus().size()) + " are held for this sandbox"};
  if (gpus.held())
    gpus.add_to(spec_);
  else if (provider)
    provider->add_no_gpu(spec_);
  else
    gpu::hide_host_gpus(spec_);
  return std::move(spec_);
}

sandbox::Spec SandboxSpecBuilder::build_without_gpus(const GpuProvider* provider) && {
  if (provider)
    provider->add_no_gpu(spec_);
  else
    gpu::hide_host_gpus(spec_);
  return std::move(spec_);
}

base::Expected<sandbox::Spec> sandbox_spec(const policies::Compiled& policy,
                                           const RunCodeRequest& request, const GpuHold& gpus,
                                           const GpuProvider* provider,
                                           std::optional<std::chrono::milliseconds> max_wall_time) {
  auto builder = SandboxSpecBuilder::prepare(policy, request, max_wall_time);
  if (!builder) return builder.error();
  return std::move(*builder).build(gpus, provider);
}

GpuRequest gpu_request(const policies::GpuScope& grant, std::string tenant, std::string task,
                       std::string agent) {
  return {std::move(tenant),
          std::move(task),
          std::move(agent),
          grant.count,
          grant.exclusive ? GpuMode::exclusive : GpuMode::shared,
          {}};
}

}  // namespace agents::runtime
