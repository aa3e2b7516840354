// GPU grants for run_code end to end through a real daemon (the fixture: gpu_daemon_fixture.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/daemon/gpu_daemon_fixture.h"

namespace agentd {
namespace {

using nlohmann::json;
using testing::GpuGrantTest;
using testing::open_program;

TEST_F(GpuGrantTest, AGrantedSandboxSeesItsGpuAndNotTheOther) {
  start_daemon(tree_);
  auto events = run_task("gpu-coder", open_program(nodes_));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["data"]["state"], "succeeded") << events.back().dump();
  auto granted = of_type(events, "gpu.granted");
  ASSERT_EQ(granted.size(), 1u) << json(events).dump();
  EXPECT_EQ(granted[0]["agent_id"], "worker-1");
  EXPECT_EQ(granted[0]["data"]["mode"], "exclusive");
  ASSERT_EQ(granted[0]["data"]["gpus"].size(), 1u);
  const uint32_t index = granted[0]["data"]["gpus"][0];
  auto released = of_type(events, "gpu.released");
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0]["data"]["gpus"], granted[0]["data"]["gpus"]);
  EXPECT_LT(granted[0]["seq"], released[0]["seq"]);

  // The inventory says which node the granted index is; the other GPU's node is not there.
  gpu::DiscoveryOptions discovery{tree_.root(), tree_.path("ld.so.cache"), ""};
  const gpu::Inventory inventory = gpu::discover(discovery);
  ASSERT_EQ(inventory.gpus.size(), 2u);
  const std::string mine = inventory.gpus[index].node.path;
  const std::string other = inventory.gpus[1 - index].node.path;
  auto results = tool_results();
  ASSERT_EQ(results.size(), 1u);
  json run = json::parse(results[0], nullptr, false);
  ASSERT_TRUE(run.is_object()) << results[0];
  json seen = json::parse(run.value("stdout", ""), nullptr, false);
  ASSERT_TRUE(seen.is_object()) << run.dump();
  for (const std::string& control :
       {tree_.path("dev/nvidiactl"), tree_.path("dev/nvidia-uvm"), mine})
    EXPECT_EQ(seen["open"][control], "ENXIO") << control << " (EPERM: the device cgroup refused)";
  EXPECT_EQ(seen["open"][other], "ENOENT") << "the other GPU must not exist inside";
  EXPECT_FALSE(seen["cuda"].get<std::string>().empty());
}

TEST_F(GpuGrantTest, APolicyWithoutAGrantSeesNoNvidiaDevice) {
  start_daemon(tree_);
  auto events = run_task("coder", open_program(nodes_));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["data"]["state"], "succeeded") << events.back().dump();
  EXPECT_TRUE(of_type(events, "gpu.granted").empty());
  auto results = tool_results();
  ASSERT_EQ(results.size(), 1u);
  json run = json::parse(results[0], nullptr, false);
  json seen = json::parse(run.value("stdout", ""), nullptr, false);
  ASSERT_TRUE(seen.is_object()) << results[0];
  for (const std::string& node : nodes_) EXPECT_EQ(seen["open"][node], "ENOENT") << node;
  EXPECT_EQ(seen["cuda"], "");
}

TEST_F(GpuGrantTest, AGpuPolicyOnADaemonWithoutGpusFailsTheCallSayingSo) {
  gpu::testing::FakeTree empty("");
  start_daemon(empty);
  auto events = run_task("gpu-coder", "print('never runs')");
  ASSERT_FALSE(events.empty());
  auto failed = of_type(events, "gpu.failed");
  ASSERT_EQ(failed.size(), 1u) << json(events).dump();
  EXPECT_TRUE(of_type(events, "sandbox.result").empty());
  auto results = tool_results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0],
            "run_code: policy \"gpu-coder\" grants 1 GPU(s), but this daemon has no GPUs (it "
            "found no usable NVIDIA driver and GPU when it started; `agentd gpu list` says why)");
  EXPECT_EQ(metric("agentd_sandboxes_running"), 0);
}

TEST_F(GpuGrantTest, AWaitLongerThanTheMaximumFailsAndIsCounted) {
  // Two workers each want both GPUs: the second waits behind the first and gives up.
  start_daemon_with_all_gpus_policy();
  auto events = run_task("all-gpus", "import time; time.sleep(1.5); print('ran')", 2);
  ASSERT_FALSE(events.empty());
  ASSERT_EQ(of_type(events, "gpu.granted").size(), 1u) << json(events).dump();
  ASSERT_EQ(of_type(events, "gpu.waiting").size(), 1u);
  auto failed = of_type(events, "gpu.failed");
  ASSERT_EQ(failed.size(), 1u);
  const std::string reason = failed[0]["data"]["reason"];
  EXPECT_NE(reason.find("no GPU became free within 300 ms"), std::string::npos) << reason;
  // Asked for in the submitting tenant's name (fairness is per tenant, then per task); the
  // requester is told nothing of who holds the GPUs (another tenant, in general).
  const std::string task_id = failed[0]["task_id"];
  EXPECT_EQ(reason.rfind("GPU request of bob/" + task_id + "/worker-", 0), 0u) << reason;
  EXPECT_EQ(reason.find("held"), std::string::npos) << reason;
  EXPECT_EQ(metric("agentd_gpu_leases_total"), 1);
  EXPECT_EQ(metric("agentd_gpu_wait_failures_total{reason=\"timeout\"}"), 1);
  EXPECT_EQ(metric("agentd_gpu_queue_length"), 0);
  EXPECT_GE(metric("agentd_gpu_busy_seconds_total{gpu=\"0\"}"), 1.0);
  EXPECT_EQ(metric("agentd_gpu_holders{gpu=\"0\"}"), 0);
}

TEST_F(GpuGrantTest, NonExclusiveSandboxesOfOneTaskShareAGpu) {
  const std::string policies = dir_.path() + "/policies";
  std::filesystem::create_directories(policies);
  std::ofstream(policies + "/shared-gpu.json")
      << R"({"extends": "builtin:gpu-coder", "gpu": {"count": 1, "exclusive": false}})";
  start_daemon(tree_, [&](Config& config) { config.policy_dirs = {policies}; });
  auto events = run_task("shared-gpu", "import time; time.sleep(1); print('ran')", 2);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["data"]["state"], "succeeded") << events.back().dump();
  auto granted = of_type(events, "gpu.granted");
  ASSERT_EQ(granted.size(), 2u) << json(events).dump();
  EXPECT_EQ(granted[0]["data"]["mode"], "shared");
  EXPECT_EQ(granted[0]["data"]["gpus"], granted[1]["data"]["gpus"]) << "packed onto one GPU";
  EXPECT_NE(granted[0]["agent_id"], granted[1]["agent_id"]);
  EXPECT_TRUE(of_type(events, "gpu.waiting").empty());
  auto released = of_type(events, "gpu.released");
  ASSERT_EQ(released.size(), 2u);
  EXPECT_LT(granted[1]["seq"], released[0]["seq"]) << "both held the GPU at once";
}

TEST(GpuConfig, DefaultsKeysAndErrors) {
  auto defaults = parse_config(json::object(), "empty.json");
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->gpu.root, "/");
  EXPECT_EQ(defaults->gpu.nvml_library, "libnvidia-ml.so.1");
  EXPECT_EQ(defaults->gpu.staging_dir, "/run/agentd/gpu");
  EXPECT_EQ(defaults->gpu.max_wait, std::chrono::seconds(60));
  EXPECT_EQ(defaults->gpu.max_sharers, 4u);
  auto set = parse_config(
      {{"gpu",
        {{"max_wait", 2.5}, {"max_sharers", 2}, {"root", "/srv/tree"}, {"nvml_library", ""}}}},
      "gpu.json");
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->gpu.max_wait, std::chrono::milliseconds(2500));
  EXPECT_EQ(set->gpu.max_sharers, 2u);
  EXPECT_EQ(set->gpu.root, "/srv/tree");
  EXPECT_EQ(set->gpu.nvml_library, "");
  auto bad =
      parse_config({{"gpu", {{"root", "tree"}, {"max_sharers", 0}, {"colour", 1}}}}, "bad.json");
  ASSERT_FALSE(bad);
  for (const char* expected : {"bad.json: /gpu/root: expected an absolute path",
                               "bad.json: /gpu/max_sharers: expected an integer from 1 to 64",
                               "bad.json: /gpu/colour: unknown key"})
    EXPECT_NE(bad.error().message.find(expected), std::string::npos) << bad.error().message;
}

// The same on this machine's own GPUs, where it has any.
TEST_F(GpuGrantTest, OnARealGpuTheSandboxSeesExactlyItsGpu) {
  std::string why;
  if (!start_daemon_on_real_gpus(why)) GTEST_SKIP() << why;
  const std::string program =
      "import json, os, re\n"
      "print(json.dumps({'gpus': [d for d in os.listdir('/dev') if re.fullmatch(r'nvidia\\d+', d)],"
      " 'ctl': os.path.exists('/dev/nvidiactl'),"
      " 'cuda': os.environ.get('CUDA_VISIBLE_DEVICES', '')}))\n";
  auto events = run_task("gpu-coder", program);
  ASSERT_FALSE(events.empty());
  ASSERT_EQ(of_type(events, "gpu.granted").size(), 1u) << json(events).dump();
  auto results = tool_results();
  ASSERT_EQ(results.size(), 1u);
  json run = json::parse(results[0], nullptr, false);
  json seen = json::parse(run.value("stdout", ""), nullptr, false);
  ASSERT_TRUE(seen.is_object()) << results[0];
  EXPECT_EQ(seen["gpus"].size(), 1u) << seen.dump();
  EXPECT_EQ(seen["ctl"], true);
  EXPECT_NE(seen["cuda"], "");
}

}  // namespace
}  // namespace agentd
