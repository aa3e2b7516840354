// exec.run under GPU policies through a real daemon (the fixture: gpu_daemon_fixture.h): the
// policy's GPUs are leased for the sandbox and given back when it exits, a policy without sees
// no NVIDIA device, and a run that gets no GPU fails with an error saying why.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>

#include "tests/daemon/gpu_daemon_fixture.h"

namespace agentd {
namespace {

using nlohmann::json;
using testing::GpuGrantTest;
using testing::open_program;

class GpuExecTest : public GpuGrantTest {
 protected:
  // exec.run of a python program as bob (who may use every policy).
  json exec(const std::string& policy, const std::string& code) {
    auto client =
        testing::WsClient::connect(testing::Endpoint{port_, ""}, {std::string("bob-token"), ""});
    EXPECT_TRUE(client) << client.error().message;
    if (!client) return {};
    return (*client)->call("exec.run", {{"policy", policy}, {"language", "python"}, {"code", code}},
                           std::chrono::seconds(60));
  }

  // What open_program printed, from an exec.run reply.
  static json seen(const json& reply) {
    json out = json::parse(reply["result"].value("stdout", ""), nullptr, false);
    EXPECT_TRUE(out.is_object()) << reply.dump();
    return out.is_object() ? out : json::object();
  }
};

TEST_F(GpuExecTest, AGpuPolicyGetsExactlyItsGpuForTheRunAndGivesItBack) {
  start_daemon(tree_);
  json reply = exec("gpu-coder", open_program(nodes_));
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"]["status"], "ok") << reply.dump();
  json inside = seen(reply);
  int opened = 0;
  for (const std::string& gpu : {nodes_[3], nodes_[4]})
    opened += inside["open"][gpu] == "ENXIO" ? 1 : 0;
  EXPECT_EQ(opened, 1) << "one GPU of the two, the other invisible: " << inside.dump();
  for (const std::string& control : {nodes_[0], nodes_[1]})
    EXPECT_EQ(inside["open"][control], "ENXIO") << control;
  EXPECT_NE(inside["cuda"], "");
  EXPECT_EQ(metric("agentd_gpu_leases_total"), 1);
  EXPECT_EQ(metric("agentd_gpu_holders{gpu=\"0\"}"), 0) << "given back when the sandbox exited";
  EXPECT_EQ(metric("agentd_gpu_holders{gpu=\"1\"}"), 0);
  EXPECT_EQ(metric("agentd_sandboxes_running"), 0);
}

TEST_F(GpuExecTest, APolicyWithoutAGrantSeesNoNvidiaDevice) {
  start_daemon(tree_);
  json reply = exec("coder", open_program(nodes_));
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  json inside = seen(reply);
  for (const std::string& node : nodes_) EXPECT_EQ(inside["open"][node], "ENOENT") << node;
  EXPECT_EQ(inside["cuda"], "");
  EXPECT_LE(metric("agentd_gpu_leases_total"), 0);
}

TEST_F(GpuExecTest, AGpuPolicyOnADaemonWithoutGpusIsRefusedSayingSo) {
  gpu::testing::FakeTree empty("");
  start_daemon(empty);
  json reply = exec("gpu-coder", "print('never runs')");
  ASSERT_TRUE(reply.contains("error")) << reply.dump();
  EXPECT_EQ(reply["error"]["code"], -32007);
  const std::string reason =
      "policy \"gpu-coder\" grants 1 GPU(s), but this daemon has no GPUs (it found no usable "
      "NVIDIA driver and GPU when it started; `agentd gpu list` says why)";
  EXPECT_EQ(reply["error"]["message"], reason);
  EXPECT_EQ(reply["error"]["data"], json({{"policy", "gpu-coder"}, {"reason", reason}}));
  EXPECT_LE(metric("agentd_sandbox_runs_total{source=\"exec\",status=\"ok\"}"), 0) << "never ran";
}

TEST_F(GpuExecTest, AWaitLongerThanTheMaximumIsAQuotaError) {
  // The first run holds both GPUs for 1.5 s; the second waits 300 ms for one and gives up.
  start_daemon_with_all_gpus_policy();
  auto holder = std::async(std::launch::async, [this] {
    return exec("all-gpus", "import time; time.sleep(1.5); print('ran')");
  });
  for (int i = 0; i < 200 && metric("agentd_gpu_holders{gpu=\"0\"}") < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  json waiter = exec("gpu-coder", "print('never runs')");
  ASSERT_TRUE(waiter.contains("error")) << waiter.dump();
  EXPECT_EQ(waiter["error"]["code"], -32002);
  EXPECT_EQ(waiter["error"]["data"], json({{"quota", "gpus"}, {"limit", 2}}));
  const std::string message = waiter["error"]["message"];
  EXPECT_NE(message.find("no GPU became free within 300 ms"), std::string::npos) << message;
  EXPECT_EQ(message.find("held"), std::string::npos) << "nothing of the holder: " << message;
  json held = holder.get();
  ASSERT_TRUE(held.contains("result")) << held.dump();
  EXPECT_EQ(held["result"]["stdout"], "ran\n");
  EXPECT_EQ(metric("agentd_gpu_wait_failures_total{reason=\"timeout\"}"), 1);
  EXPECT_EQ(metric("agentd_gpu_queue_length"), 0);
  EXPECT_EQ(metric("agentd_sandboxes_running"), 0);
}

// On this machine's own GPUs, where it has any: a run without a grant sees neither the GPUs
// nor the driver's /proc view; one with a grant sees its GPU there and no other.
TEST_F(GpuExecTest, OnARealGpuTheDriversProcViewFollowsTheGrant) {
  std::string why;
  if (!start_daemon_on_real_gpus(why)) GTEST_SKIP() << why;
  const std::string program =
      "import json, os\n"
      "d = '/proc/driver/nvidia/gpus'\n"
      "print(json.dumps({'gpus': sorted(os.listdir(d)) if os.path.isdir(d) else [],"
      " 'ctl': os.path.exists('/dev/nvidiactl')}))\n";
  json without = exec("coder", program);
  ASSERT_TRUE(without.contains("result")) << without.dump();
  json outside = json::parse(without["result"].value("stdout", ""), nullptr, false);
  EXPECT_EQ(outside, json({{"gpus", json::array()}, {"ctl", false}})) << without.dump();
  json with = exec("gpu-coder", program);
  ASSERT_TRUE(with.contains("result")) << with.dump();
  json inside = json::parse(with["result"].value("stdout", ""), nullptr, false);
  ASSERT_TRUE(inside.is_object()) << with.dump();
  EXPECT_EQ(inside["gpus"].size(), 1u) << inside.dump();
  EXPECT_EQ(inside["ctl"], true);
}

}  // namespace
}  // namespace agentd
