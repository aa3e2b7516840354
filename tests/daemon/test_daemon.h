// A daemon for tests: a Server with a ScriptedRunner and no sandboxes on its own io_context
// thread, listening on 127.0.0.1 (a kernel-chosen port) and a unix socket in a fresh
// directory that also holds its journal and workspaces. Tenants: "alice" (token
// "alice-token", policies coder and tester) and "bob" ("bob-token", every policy).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "daemon/config.h"
#include "daemon/server.h"
#include "tests/daemon/scripted_runner.h"
#include "tests/daemon/ws_client.h"

namespace agentd::testing {

// A fresh directory under /tmp, removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The test configuration in `dir` (journal, workspaces, unix socket).
Config test_config(const std::string& dir);
// The same as the file text agentd reads (for the tests that run it as a process).
nlohmann::json test_config_json(const std::string& dir);

class TestDaemon {
 public:
  // `adjust` may change the configuration before the server starts.
  explicit TestDaemon(const std::string& dir, const std::function<void(Config&)>& adjust = {},
                      std::shared_ptr<sandbox::Runner> sandboxes = nullptr);
  ~TestDaemon();

  base::Status started() const { return started_; }
  Endpoint tcp() const { return Endpoint{port_, ""}; }
  Endpoint unix_socket() const { return Endpoint{0, unix_path_}; }
  std::unique_ptr<WsClient> connect(const std::string& token = "alice-token");

  // Runs `work` on the server's loop and returns its result.
  template <class F>
  auto on_loop(F work) -> decltype(work()) {
    std::packaged_task<decltype(work())()> task(std::move(work));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  Server& server() { return *server_; }
  ScriptedRunner& runner() { return runner_; }
  const Config& config() const { return config_; }
  double metric(const std::string& name, const std::string& labels = "");

 private:
  boost::asio::io_context io_;
  ScriptedRunner runner_;
  Config config_;
  std::unique_ptr<Server> server_;
  base::Status started_ = base::Ok{};
  uint16_t port_ = 0;
  std::string unix_path_;
  std::thread thread_;
};

}  // namespace agentd::testing
