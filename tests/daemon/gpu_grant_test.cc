// GPU grants end to end through a real daemon: the agents task runner against the scripted
// LLM server, real sandboxes, and GPUs discovered in a fake tree (tests/fixtures/gpu/two-gpus
// with device nodes of majors no driver owns, as tests/gpu does). A node a sandbox may open
// answers ENXIO (the device cgroup let it through to a driver that is not there), one it may
// not see answers ENOENT. Needs root (mknod, sandboxes); skipped otherwise, saying why.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "agents/http/curl_multi.h"
#include "agents/llm/client.h"
#include "daemon/agents_task_runner.h"
#include "daemon/server.h"
#include "gpu/inventory.h"
#include "sandbox/runner.h"
#include "tests/daemon/test_daemon.h"
#include "tests/fixtures/scripted_llm/scripted_server.h"
#include "tests/gpu/fake_tree.h"

namespace agentd {
namespace {

using nlohmann::json;
using testing::TempDir;
using testing::WsClient;

// Opens each path inside the sandbox and prints {path: "opened" or the errno's name}.
std::string open_program(const std::vector<std::string>& paths) {
  return "import errno, json, os\nout = {}\nfor p in " + json(paths).dump() +
         ":\n    try:\n        os.close(os.open(p, os.O_RDWR))\n        out[p] = 'opened'\n"
         "    except OSError as e:\n        out[p] = errno.errorcode.get(e.errno, str(e.errno))\n"
         "print(json.dumps({'open': out, 'cuda': os.environ.get('CUDA_VISIBLE_DEVICES', '')}))\n";
}

class GpuGrantTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = agents::testing::ScriptedLlmServer::start();
    if (started)
      llm_server_ = std::make_unique<agents::testing::ScriptedLlmServer>(std::move(*started));
    else
      llm_server_error_ = started.error().message;
  }
  static void TearDownTestSuite() { llm_server_.reset(); }

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (device nodes, sandboxes)";
    if (!llm_server_) GTEST_SKIP() << "no scripted LLM server: " << llm_server_error_;
    if (!tree_.make_driver_nodes()) GTEST_SKIP() << "mknod denied: " << std::strerror(errno);
    const std::string problem = gpu::testing::build_ld_cache(
        tree_.path("ld.so.cache"), gpu::testing::fake_driver_dir("current"));
    if (!problem.empty()) GTEST_SKIP() << problem;
    sandbox::RunnerOptions options;
    options.id_lock_dir = dir_.path() + "/ids";
    auto runner = sandbox::Runner::create(options);
    if (!runner) GTEST_SKIP() << "sandboxes are unavailable here: " << runner.error().message;
    sandboxes_ = *runner;
    nodes_ = {tree_.path("dev/nvidiactl"), tree_.path("dev/nvidia-uvm"),
              tree_.path("dev/nvidia-uvm-tools"), tree_.path("dev/nvidia0"),
              tree_.path("dev/nvidia1")};
  }

  void TearDown() override {
    io_.stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
    runner_.reset();
    llm_.reset();
    http_.reset();
  }

  // A daemon whose GPU discovery looks at `root` (the fake tree, or an empty one).
  void start_daemon(const gpu::testing::FakeTree& root, std::function<void(Config&)> adjust = {}) {
    Config config = testing::test_config(dir_.path());
    agents::llm::ModelConfig model;
    model.name = "scripted";
    model.base_url = llm_server_->base_url();
    model.model = "scripted";
    model.timeout = std::chrono::seconds(20);
    config.models = {model};
    config.gpu.root = root.root();
    config.gpu.ld_cache = tree_.path("ld.so.cache");
    config.gpu.nvml_library.clear();
    config.gpu.staging_dir = dir_.path() + "/gpu-staging";
    if (adjust) adjust(config);
    http_ = std::make_unique<agents::http::Client>(io_.get_executor());
    llm_ = std::make_unique<agents::llm::Client>(*http_, config.models);
    runner_ = std::make_unique<AgentsTaskRunner>(io_.get_executor(), *llm_, *sandboxes_, *http_,
                                                 config.sandbox.workspace_root);
    server_ =
        std::make_unique<Server>(io_, config, *runner_, sandboxes_, ServerOptions{false, true});
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().message;
    port_ = server_->tcp_port();
    thread_ = std::thread([this] { io_.run(); });
  }

  // A fan_out whose workers (one per subtask, under `policy`) each run `code` once; returns
  // the task's events.
  std::vector<json> run_task(const std::string& policy, const std::string& code, int workers = 1) {
    json subtasks = json::array();
    for (int i = 0; i < workers; ++i) subtasks.push_back("part " + std::to_string(i));
    json call = {
        {"tool_calls",
         {{{"name", "run_code"}, {"arguments", {{"language", "python"}, {"code", code}}}}}},
        {"repeat", workers}};
    auto loaded = llm_server_->load_script(
        {{"roles",
          {{"planner", {{"default", {{"json", {{"subtasks", subtasks}}}}}}},
           {"worker", {{"steps", {call}}, {"default", {{"text", "done"}}}}},
           {"reducer", {{"default", {{"text", "merged"}}}}}}}});
    EXPECT_TRUE(loaded) << loaded.error().message;
    json role = {{"model", "scripted"}, {"policy", "reviewer"}};
    json spec = {{"pattern", "fan_out"},
                 {"prompt", "use the GPU"},
                 {"roles",
                  {{"planner", role},
                   {"worker", {{"model", "scripted"}, {"policy", policy}}},
                   {"reducer", role}}}};
    auto client = WsClient::connect(testing::Endpoint{port_, ""}, {std::string("bob-token"), ""});
    EXPECT_TRUE(client) << client.error().message;
    if (!client) return {};
    json submitted = (*client)->call("task.submit", {{"spec", spec}});
    EXPECT_TRUE(submitted.contains("result")) << submitted.dump();
    json subscribed =
        (*client)->call("task.subscribe", {{"task_id", submitted["result"]["task_id"]}});
    EXPECT_TRUE(subscribed.contains("result")) << subscribed.dump();
    return (*client)->events_until_finished(std::chrono::seconds(60));
  }

  // What run_code told each worker (the tool messages of their second requests).
  std::vector<std::string> tool_results() {
    std::vector<std::string> results;
    auto log = llm_server_->requests();
    EXPECT_TRUE(log) << log.error().message;
    if (!log) return results;
    for (const json& entry : *log) {
      if (entry.value("role", "") != "worker") continue;
      const json& last = entry["request"]["messages"].back();
      if (last.value("role", "") == "tool") results.push_back(last.value("content", ""));
    }
    return results;
  }

  static std::vector<json> of_type(const std::vector<json>& events, const std::string& type) {
    std::vector<json> found;
    for (const json& event : events)
      if (event.value("type", "") == type) found.push_back(event);
    return found;
  }

  double metric(const std::string& series) {
    std::packaged_task<std::string()> task([this] { return server_->metrics_text(); });
    auto text = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    std::istringstream lines(text.get());
    for (std::string line; std::getline(lines, line);)
      if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    return -1;
  }

  static inline std::unique_ptr<agents::testing::ScriptedLlmServer> llm_server_;
  static inline std::string llm_server_error_;
  TempDir dir_;
  gpu::testing::FakeTree tree_{"two-gpus"};
  std::shared_ptr<sandbox::Runner> sandboxes_;
  std::vector<std::string> nodes_;
  boost::asio::io_context io_;
  std::unique_ptr<agents::http::Client> http_;
  std::unique_ptr<agents::llm::Client> llm_;
  std::unique_ptr<AgentsTaskRunner> runner_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

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
  const std::string policies = dir_.path() + "/policies";
  std::filesystem::create_directories(policies);
  std::ofstream(policies + "/all-gpus.json")
      << R"({"extends": "builtin:gpu-coder", "gpu": {"count": 2}})";
  start_daemon(tree_, [&](Config& config) {
    config.policy_dirs = {policies};
    config.gpu.max_wait = std::chrono::milliseconds(300);
  });
  auto events = run_task("all-gpus", "import time; time.sleep(1.5); print('ran')", 2);
  ASSERT_FALSE(events.empty());
  ASSERT_EQ(of_type(events, "gpu.granted").size(), 1u) << json(events).dump();
  ASSERT_EQ(of_type(events, "gpu.waiting").size(), 1u);
  auto failed = of_type(events, "gpu.failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0]["data"]["reason"].get<std::string>().find("no GPU became free within 300 ms"),
            std::string::npos)
      << failed[0].dump();
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
  for (const char* expected : {"bad.json: gpu.root: expected an absolute path",
                               "bad.json: gpu.max_sharers: expected an integer from 1 to 64",
                               "bad.json: gpu.\"colour\": unknown key"})
    EXPECT_NE(bad.error().message.find(expected), std::string::npos) << bad.error().message;
}

// The same on this machine's own GPUs, where it has any.
TEST_F(GpuGrantTest, OnARealGpuTheSandboxSeesExactlyItsGpu) {
  const gpu::Inventory inventory = gpu::discover();
  if (inventory.gpus.empty())
    GTEST_SKIP() << "no NVIDIA GPU on this machine: " << gpu::describe(inventory);
  start_daemon(tree_, [this](Config& config) {
    config.gpu = GpuConfig{};
    config.gpu.staging_dir = dir_.path() + "/gpu-staging";
  });
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
