// The one Spec builder (agents/runtime/sandbox_spec.h): run_code's two steps (prepare, lease,
// build) and exec.run's one call give the same Spec for the same program, policy, workspace
// and GPUs; the limits, mounts, network and seccomp are the policy's; a timeout only shortens
// the wall time; GPU device nodes come only with a lease, and a sandbox without one has the
// host's GPUs hidden.
#include "agents/runtime/sandbox_spec.h"

#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>

#include "policies/compile.h"
#include "policies/loader.h"

namespace agents::runtime {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const policies::Compiled> compiled(const std::string& text) {
  auto loaded = policies::load_policy_text(text, "test.json");
  EXPECT_TRUE(loaded.ok()) << policies::format(loaded.errors);
  loaded.value->scope.policy_name = "test";
  return std::make_shared<policies::Compiled>(
      policies::compile(*loaded.value, policies::default_caps()));
}

// Every field of a Spec, one per line, so that two Specs compare with a readable difference.
std::string describe(const sandbox::Spec& spec) {
  std::ostringstream out;
  for (const auto& arg : spec.argv) out << "argv " << arg << "\n";
  for (const auto& entry : spec.env) out << "env " << entry << "\n";
  out << "workdir " << spec.workdir << "\nstdin " << spec.stdin_data << "\n";
  for (const auto& m : spec.mounts)
    out << "mount " << static_cast<int>(m.type) << " " << m.source << " " << m.target << " "
        << m.size_bytes << "\n";
  for (const auto& d : spec.devices)
    out << "device " << d.path << " " << d.type << " " << d.major << ":" << d.minor << "\n";
  const sandbox::Limits& l = spec.limits;
  out << "limits " << l.memory_bytes << " " << l.pids << " " << l.cpu_millicores << " "
      << l.cpu_weight << " " << l.cpu_time.count() << " " << l.wall_time.count() << " "
      << l.file_size_bytes << " " << l.open_files << " " << l.stdout_bytes << " " << l.stderr_bytes
      << "\n";
  out << "network " << static_cast<int>(spec.network) << "\nseccomp " << spec.seccomp.filter.get()
      << " " << spec.seccomp.disabled << "\nhostname " << spec.hostname << "\n";
  return out.str();
}

// One fake GPU, /dev/nvidia7, and a provider that marks the Specs it hides the host's GPUs from.
class FakeLease final : public GpuHold::Lease {
 public:
  const std::vector<uint32_t>& gpus() const override { return gpus_; }
  void add_to(sandbox::Spec& spec) const override {
    spec.devices.push_back({"/dev/nvidia7", 'c', 195, 7});
    spec.env.push_back("CUDA_VISIBLE_DEVICES=7");
  }

 private:
  std::vector<uint32_t> gpus_{7};
};

class FakeProvider final : public GpuProvider {
 public:
  boost::asio::awaitable<base::Expected<GpuHold>> acquire(GpuRequest, GpuReport) override {
    co_return base::Error{"not in this test"};
  }
  void add_no_gpu(sandbox::Spec& spec) const override { spec.env.push_back("NO_GPU=1"); }
};

GpuHold one_gpu() {
  return GpuHold(std::make_unique<FakeLease>());
}

class SandboxSpecTest : public ::testing::Test {
 protected:
  RunCodeRequest request() const {
    return {
        policies::Language::python, "print(6*7)", "input\n", "/srv/ws/t-1/worker-1", {}, {}, {}};
  }
  // The way run_code and best_of_n's candidate tests build theirs: check, lease, build.
  sandbox::Spec run_code_way(const policies::Compiled& policy, const GpuHold& gpus) {
    auto builder = SandboxSpecBuilder::prepare(policy, request());
    EXPECT_TRUE(builder) << builder.error().message;
    auto spec = std::move(builder.value()).build(gpus, &provider_);
    EXPECT_TRUE(spec) << spec.error().message;
    return spec ? std::move(spec.value()) : sandbox::Spec{};
  }

  std::shared_ptr<const policies::Compiled> coder_ = compiled(R"({"extends": "builtin:coder"})");
  std::shared_ptr<const policies::Compiled> gpu_coder_ =
      compiled(R"({"extends": "builtin:gpu-coder"})");
  FakeProvider provider_;
};

TEST_F(SandboxSpecTest, RunCodeAndExecRunGetTheSameSpecForTheSameInputs) {
  for (const auto& policy : {coder_, gpu_coder_}) {
    const GpuHold gpus = policy->scope.gpu.count > 0 ? one_gpu() : GpuHold{};
    const sandbox::Spec from_run_code = run_code_way(*policy, gpus);
    auto from_exec = sandbox_spec(*policy, request(), gpus, &provider_);
    ASSERT_TRUE(from_exec) << from_exec.error().message;
    EXPECT_EQ(describe(from_run_code), describe(*from_exec));
  }
}

TEST_F(SandboxSpecTest, LimitsNetworkAndSeccompAreThePolicys) {
  auto spec = sandbox_spec(*coder_, request(), GpuHold{}, &provider_);
  ASSERT_TRUE(spec) << spec.error().message;
  const sandbox::Limits& limits = spec->limits;
  const sandbox::Limits& policys = coder_->spec.limits;
  EXPECT_EQ(limits.memory_bytes, policys.memory_bytes);
  EXPECT_EQ(limits.memory_bytes, 1ull << 30);  // builtin:coder's "1G"
  EXPECT_EQ(limits.pids, 128u);
  EXPECT_EQ(limits.wall_time, 120'000ms);
  EXPECT_EQ(limits.cpu_time, policys.cpu_time);
  EXPECT_EQ(limits.stdout_bytes, policys.stdout_bytes);
  EXPECT_EQ(spec->network, sandbox::NetworkMode::none);
  EXPECT_EQ(spec->seccomp.filter, coder_->spec.seccomp.filter);
  EXPECT_EQ(spec->stdin_data, "input\n");
  EXPECT_EQ(spec->workdir, "/workspace");
  ASSERT_GE(spec->argv.size(), 5u);
  EXPECT_EQ(spec->argv.back(), "print(6*7)");
  bool bound = false;
  for (const auto& mount : spec->mounts)
    bound = bound || (mount.target == "/workspace" && mount.type == sandbox::MountType::rw_bind &&
                      mount.source == "/srv/ws/t-1/worker-1");
  EXPECT_TRUE(bound) << describe(*spec);
}

TEST_F(SandboxSpecTest, ATimeoutShortensTheWallTimeAndNeverLengthensIt) {
  auto shorter = sandbox_spec(*coder_, request(), GpuHold{}, &provider_, 500ms);
  ASSERT_TRUE(shorter);
  EXPECT_EQ(shorter->limits.wall_time, 500ms);
  auto longer = sandbox_spec(*coder_, request(), GpuHold{}, &provider_, 3600s);
  ASSERT_TRUE(longer);
  EXPECT_EQ(longer->limits.wall_time, 120'000ms);
}

TEST_F(SandboxSpecTest, GpuDeviceNodesComeOnlyWithALease) {
  const sandbox::Spec leased = run_code_way(*gpu_coder_, one_gpu());
  ASSERT_EQ(leased.devices.size(), 1u);
  EXPECT_EQ(leased.devices[0].path, "/dev/nvidia7");
  EXPECT_EQ(describe(leased).find("NO_GPU"), std::string::npos);

  // No grant: no device, and the provider's view of none.
  const sandbox::Spec hidden = run_code_way(*coder_, GpuHold{});
  EXPECT_TRUE(hidden.devices.empty());
  EXPECT_NE(describe(hidden).find("env NO_GPU=1"), std::string::npos);

  // Without a provider (a daemon with no GPUs), still no device.
  auto no_provider = sandbox_spec(*coder_, request(), GpuHold{}, nullptr);
  ASSERT_TRUE(no_provider);
  EXPECT_TRUE(no_provider->devices.empty());
}

TEST_F(SandboxSpecTest, AHoldThatDoesNotMatchThePolicysGrantIsRefused) {
  auto unleased = sandbox_spec(*gpu_coder_, request(), GpuHold{}, &provider_);
  ASSERT_FALSE(unleased);
  EXPECT_NE(unleased.error().message.find("grants 1 GPU(s), and 0 are held"), std::string::npos)
      << unleased.error().message;
  auto ungranted = sandbox_spec(*coder_, request(), one_gpu(), &provider_);
  ASSERT_FALSE(ungranted);
  EXPECT_NE(ungranted.error().message.find("grants 0 GPU(s), and 1 are held"), std::string::npos)
      << ungranted.error().message;
}

// run_code checks the program before it leases a GPU for it: prepare() alone refuses it.
TEST_F(SandboxSpecTest, AProgramThatCannotRunIsRefusedBeforeAnyGpu) {
  RunCodeRequest bad = request();
  bad.code = std::string("print(1)\0", 9);
  auto builder = SandboxSpecBuilder::prepare(*gpu_coder_, bad);
  ASSERT_FALSE(builder);
  EXPECT_EQ(builder.error().message, "run_code: the code contains a NUL byte");
}

TEST(GpuRequestFor, APolicysGrantBecomesTheRequest) {
  GpuRequest exclusive = gpu_request({2, true}, "team-a", "t-1", "worker-1");
  EXPECT_EQ(exclusive.count, 2u);
  EXPECT_EQ(exclusive.mode, GpuMode::exclusive);
  EXPECT_EQ(exclusive.tenant, "team-a");
  EXPECT_EQ(exclusive.task, "t-1");
  EXPECT_EQ(exclusive.agent, "worker-1");
  EXPECT_EQ(gpu_request({1, false}, "", "t", "a").mode, GpuMode::shared);
}

}  // namespace
}  // namespace agents::runtime
