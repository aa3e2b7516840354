// run_code under policies that grant GPUs, with a fake GpuProvider standing in for the
// daemon's scheduler: the GPUs are asked for with the policy's count and mode, their
// passthrough reaches the sandbox, they go back when the sandbox exits, and every step is an
// event. Without a provider, or when none is granted, the tool call fails saying why.
#include <gtest/gtest.h>

#include "agents/runtime/gpu_provider.h"
#include "agents/runtime/tool_catalog.h"
#include "tests/agents/runtime_fixture.h"

namespace agents::testing {
namespace {

using nlohmann::json;
using runtime::GpuHold;
using runtime::GpuMode;
using runtime::GpuReport;
using runtime::GpuRequest;

// Grants GPU 7 at once (or fails with `failure`); its passthrough is an environment variable.
class FakeGpus final : public runtime::GpuProvider {
 public:
  class Lease final : public GpuHold::Lease {
   public:
    Lease(FakeGpus& owner, GpuReport report) : owner_(owner), report_(std::move(report)) {}
    ~Lease() override {
      ++owner_.released;
      report_("gpu.released", {{"gpus", gpus_}});
    }
    const std::vector<uint32_t>& gpus() const override { return gpus_; }
    void add_to(sandbox::Spec& spec) const override { spec.env.push_back("FAKE_GPUS=7"); }

   private:
    FakeGpus& owner_;
    GpuReport report_;
    std::vector<uint32_t> gpus_{7};
  };

  boost::asio::awaitable<base::Expected<GpuHold>> acquire(GpuRequest request,
                                                          GpuReport report) override {
    requests.push_back(request);
    if (!failure.empty()) co_return base::Error{failure};
    report("gpu.granted", {{"gpus", {7}}, {"waited_ms", 0}});
    co_return GpuHold(std::make_unique<Lease>(*this, std::move(report)));
  }
  void add_no_gpu(sandbox::Spec& spec) const override {
    spec.env.push_back("NO_GPU=1");
    ++hidden;
  }

  std::vector<GpuRequest> requests;
  std::string failure;
  int released = 0;
  mutable int hidden = 0;
};

class GpuToolTest : public TaskTest {
 protected:
  void SetUp() override {
    TaskTest::SetUp();
    if (IsSkipped()) return;
    add_policy("one-gpu", R"({"extends": "builtin:coder", "gpu": {"count": 1}})");
    add_policy("two-shared",
               R"({"extends": "builtin:coder", "gpu": {"count": 2, "exclusive": false}})");
  }

  // One worker under `policy` runs one bash program; returns what run_code told the model.
  json run_worker(const std::string& policy, FakeGpus* gpus) {
    json call = {{"tool_calls",
                  {{{"name", "run_code"},
                    {"arguments",
                     {{"language", "bash"},
                      {"code", "echo \"gpus=${FAKE_GPUS:-none} hidden=${NO_GPU:-0}\""}}}}}}};
    load({{"roles",
           {{"planner", {{"default", {{"json", {{"subtasks", {"a"}}}}}}}},
            {"worker", {{"steps", {call}}, {"default", {{"text", "done"}}}}},
            {"reducer", {{"default", {{"text", "merged"}}}}}}}});
    json spec = {{"pattern", "fan_out"},
                 {"prompt", "use the GPU"},
                 {"roles",
                  {{"planner", role("strong", "reviewer")},
                   {"worker", role("cheap", policy)},
                   {"reducer", role("strong", "reviewer")}}}};
    env().gpus = gpus;
    TaskResult result = run(spec);
    EXPECT_EQ(result.status, TaskStatus::succeeded) << result.error;
    const auto worker = requests_of("worker");
    if (worker.size() < 2) {
      ADD_FAILURE() << "the worker made " << worker.size() << " requests";
      return json();
    }
    return worker[1]["request"]["messages"].back()["content"];
  }

  // best_of_n with one coder under `policy` whose program prints what it sees of the GPUs,
  // and one test expecting `expected`; returns the candidate.tested event's data.
  json test_candidate(const std::string& policy, const std::string& expected, FakeGpus& gpus) {
    const std::string program =
        "```python\nimport os\nprint(os.environ.get('FAKE_GPUS', 'none'), "
        "os.environ.get('NO_GPU', '0'))\n```";
    load({{"roles", {{"coder", {{"default", {{"text", program}}}}}}}});
    json spec = {{"pattern", "best_of_n"},
                 {"prompt", "Print your GPUs."},
                 {"options", {{"n", 1}}},
                 {"roles", {{"coder", role("cheap", policy)}}},
                 {"tests", {{{"stdin", ""}, {"expected_stdout", expected}}}}};
    env().gpus = &gpus;
    TaskResult result = run(spec);
    EXPECT_EQ(result.status, TaskStatus::succeeded) << result.error;
    auto tested = events("candidate.tested");
    if (tested.size() != 1) {
      ADD_FAILURE() << tested.size() << " candidate.tested events";
      return json();
    }
    return tested[0].data;
  }

  // Position of the first event of `type`, or the number of events when there is none.
  size_t position(const std::string& type) const {
    for (size_t i = 0; i < events_.events.size(); ++i)
      if (events_.events[i].type == type) return i;
    return events_.events.size();
  }
};

TEST_F(GpuToolTest, AGrantIsHeldForTheSandboxRunAndGivenBackAfter) {
  FakeGpus gpus;
  json content = run_worker("one-gpu", &gpus);
  json result = json::parse(content.get<std::string>(), nullptr, false);
  ASSERT_TRUE(result.is_object()) << content;
  EXPECT_EQ(result["stdout"], "gpus=7 hidden=0\n");
  ASSERT_EQ(gpus.requests.size(), 1u);
  EXPECT_EQ(gpus.requests[0].count, 1u);
  EXPECT_EQ(gpus.requests[0].mode, GpuMode::exclusive);
  EXPECT_EQ(gpus.requests[0].task, "task-1");
  EXPECT_EQ(gpus.requests[0].agent, "worker-1");
  EXPECT_EQ(gpus.released, 1);
  EXPECT_EQ(gpus.hidden, 0);
  // Granted after the call, given back once the sandbox has exited, before its result is told.
  EXPECT_LT(position("tool.call"), position("gpu.granted"));
  EXPECT_LT(position("gpu.granted"), position("gpu.released"));
  EXPECT_LT(position("gpu.released"), position("sandbox.result"));
  ASSERT_EQ(events("gpu.granted").size(), 1u);
  EXPECT_EQ(events("gpu.granted")[0].agent_id, "worker-1");
  EXPECT_EQ(events("gpu.released")[0].data["gpus"], json::array({7}));
}

TEST_F(GpuToolTest, ANonExclusivePolicyAsksForSharedGpus) {
  FakeGpus gpus;
  run_worker("two-shared", &gpus);
  ASSERT_EQ(gpus.requests.size(), 1u);
  EXPECT_EQ(gpus.requests[0].count, 2u);
  EXPECT_EQ(gpus.requests[0].mode, GpuMode::shared);
}

TEST_F(GpuToolTest, APolicyWithoutAGrantAsksForNoneAndIsHiddenFromThem) {
  FakeGpus gpus;
  json content = run_worker("coder", &gpus);
  json result = json::parse(content.get<std::string>(), nullptr, false);
  ASSERT_TRUE(result.is_object()) << content;
  EXPECT_EQ(result["stdout"], "gpus=none hidden=1\n");
  EXPECT_TRUE(gpus.requests.empty());
  EXPECT_EQ(gpus.hidden, 1);
  EXPECT_TRUE(events("gpu.granted").empty());
}

TEST_F(GpuToolTest, WithoutAProviderTheCallFailsSayingTheDaemonHasNoGpus) {
  json content = run_worker("one-gpu", nullptr);
  EXPECT_EQ(content,
            "run_code: policy \"one-gpu\" grants 1 GPU(s), but this daemon has no GPUs (it "
            "found no usable NVIDIA driver and GPU when it started; `agentd gpu list` says why)");
  ASSERT_EQ(events("gpu.failed").size(), 1u);
  EXPECT_EQ(events("gpu.failed")[0].data["count"], 1);
  EXPECT_TRUE(events("sandbox.result").empty());
  ASSERT_EQ(events("tool.result").size(), 1u);
  EXPECT_EQ(events("tool.result")[0].data["outcome"], "failed");
}

TEST_F(GpuToolTest, AFailedWaitFailsTheCallWithTheProvidersReason) {
  FakeGpus gpus;
  gpus.failure = "no GPU became free within 200 ms";
  json content = run_worker("one-gpu", &gpus);
  EXPECT_EQ(content, "run_code: no GPU became free within 200 ms");
  ASSERT_EQ(events("gpu.failed").size(), 1u);
  EXPECT_EQ(events("gpu.failed")[0].data["reason"], "no GPU became free within 200 ms");
  EXPECT_TRUE(events("sandbox.result").empty());
  EXPECT_EQ(gpus.released, 0);
}

TEST_F(GpuToolTest, TheLeaseIsAskedForInTheTenantsName) {
  FakeGpus gpus;
  env().tenant = "team-a";
  run_worker("one-gpu", &gpus);
  ASSERT_EQ(gpus.requests.size(), 1u);
  EXPECT_EQ(gpus.requests[0].tenant, "team-a");
}

// best_of_n runs the coder's program against the tests under the test policy (the coder's
// here): with the GPUs it grants, or hidden from the host's, as its run_code would be.
TEST_F(GpuToolTest, CandidateTestsGetThePolicysGpus) {
  FakeGpus gpus;
  json tested = test_candidate("one-gpu", "7 0", gpus);
  EXPECT_EQ(tested["passed"], 1) << tested.dump();
  ASSERT_EQ(gpus.requests.size(), 1u);
  EXPECT_EQ(gpus.requests[0].agent, "coder-1");
  EXPECT_EQ(gpus.released, 1);
  EXPECT_EQ(events("gpu.granted", "coder-1").size(), 1u);
}

TEST_F(GpuToolTest, CandidateTestsWithoutAGrantAreHiddenFromTheGpus) {
  FakeGpus gpus;
  json tested = test_candidate("coder", "none 1", gpus);
  EXPECT_EQ(tested["passed"], 1) << tested.dump();
  EXPECT_TRUE(gpus.requests.empty());
  EXPECT_EQ(gpus.hidden, 1);
}

// The model cannot ask for GPUs, so run_code's description tells it when it has some.
TEST(GpuToolCatalog, RunCodeSaysAGpuIsAttachedOnlyWhenThePolicyGrantsOne) {
  policies::ToolScope scope;
  scope.run_code.allowed = true;
  scope.run_code.languages = {policies::Language::python};
  auto description = [&scope] { return runtime::tool_catalog(scope, {}).front().description; };
  EXPECT_EQ(description().find("GPU"), std::string::npos) << description();
  scope.gpu = {1, true};
  EXPECT_NE(description().find("The sandbox has an NVIDIA GPU attached (CUDA_VISIBLE_DEVICES "
                               "is set), for this run alone."),
            std::string::npos)
      << description();
  scope.gpu = {2, false};
  EXPECT_NE(description().find("2 NVIDIA GPUs attached (CUDA_VISIBLE_DEVICES is set), which "
                               "other sandboxes of this task may use at the same time."),
            std::string::npos)
      << description();
}

}  // namespace
}  // namespace agents::testing
