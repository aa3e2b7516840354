// The daemon behind the GPU grant tests (gpu_grant_test.cc: run_code; gpu_exec_test.cc:
// exec.run): the agents task runner against the scripted LLM server, real sandboxes, and GPUs
// discovered in a fake tree (tests/fixtures/gpu/two-gpus with device nodes of majors no driver
// owns, as tests/gpu does). A node a sandbox may open answers ENXIO (the device cgroup let it
// through to a driver that is not there), one it may not see answers ENOENT. Needs root
// (mknod, sandboxes); skipped otherwise, saying why.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdlib>
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
#include "tests/fixtures/host_probe.h"
#include "tests/fixtures/scripted_llm/scripted_server.h"
#include "tests/gpu/fake_tree.h"

namespace agentd::testing {

// Opens each path inside the sandbox and prints {path: "opened" or the errno's name}.
inline std::string open_program(const std::vector<std::string>& paths) {
  return "import errno, json, os\nout = {}\nfor p in " + nlohmann::json(paths).dump() +
         ":\n    try:\n        os.close(os.open(p, os.O_RDWR))\n        out[p] = 'opened'\n"
         "    except OSError as e:\n        out[p] = errno.errorcode.get(e.errno, str(e.errno))\n"
         "print(json.dumps({'open': out, 'cuda': os.environ.get('CUDA_VISIBLE_DEVICES', '')}))\n";
}

class GpuGrantTest : public ::testing::Test {
 protected:
  using json = nlohmann::json;

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
    if (!runner) AGENTD_SKIP_UNLESS_HOST_CAN_SANDBOX(runner.error().message);
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

  // A daemon on this machine's own GPUs (the system's driver and linker cache); false, with
  // why in `why`, when the machine has none.
  bool start_daemon_on_real_gpus(std::string& why) {
    // AGENTD_TEST_LD_CACHE: the linker cache listing the driver's libraries when
    // /etc/ld.so.cache does not (scripts/gpu-check.sh builds one).
    GpuConfig gpu_config;
    if (const char* ld_cache = std::getenv("AGENTD_TEST_LD_CACHE")) gpu_config.ld_cache = ld_cache;
    const gpu::Inventory inventory =
        gpu::discover({gpu_config.root, gpu_config.ld_cache, gpu_config.nvml_library});
    if (inventory.gpus.empty()) {
      why = "no NVIDIA GPU on this machine: " + gpu::describe(inventory);
      return false;
    }
    start_daemon(tree_, [this, gpu_config](Config& config) {
      config.gpu = gpu_config;
      config.gpu.staging_dir = dir_.path() + "/gpu-staging";
    });
    return true;
  }

  // A daemon on the fake tree with the policy "all-gpus" (gpu-coder granting both GPUs) and a
  // GPU wait of 300 ms: a second run under it waits behind the first and gives up.
  void start_daemon_with_all_gpus_policy() {
    const std::string policies = dir_.path() + "/policies";
    std::filesystem::create_directories(policies);
    std::ofstream(policies + "/all-gpus.json")
        << R"({"extends": "builtin:gpu-coder", "gpu": {"count": 2}})";
    start_daemon(tree_, [&](Config& config) {
      config.policy_dirs = {policies};
      config.gpu.max_wait = std::chrono::milliseconds(300);
    });
  }

  // A daemon whose GPU discovery looks at `root` (the fake tree, or an empty one).
  void start_daemon(const gpu::testing::FakeTree& root,
                    const std::function<void(Config&)>& adjust = {}) {
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

}  // namespace agentd::testing
