#include "tests/daemon/test_daemon.h"

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "daemon/tenants.h"

namespace agentd::testing {

using nlohmann::json;

TempDir::TempDir() {
  std::string pattern = "/tmp/agentd-daemon-test.XXXXXX";
  path_ = ::mkdtemp(pattern.data());
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

json test_config_json(const std::string& dir) {
  return json{
      {"listen", {{"address", "127.0.0.1"}, {"port", 0}, {"unix", dir + "/agentd.sock"}}},
      {"journal", {{"path", dir + "/journal.db"}, {"batch_ms", 2}}},
      {"tenants",
       {{{"name", "alice"},
         {"token_sha256", token_sha256_hex("alice-token")},
         {"policies", {"coder", "tester"}},
         {"quotas", {{"concurrent_tasks", 4}, {"agents", 64}, {"sandboxes", 2}}}},
        {{"name", "bob"},
         {"token_sha256", token_sha256_hex("bob-token")},
         {"policies", {"*"}},
         {"quotas", {{"concurrent_tasks", 4}, {"agents", 64}}}}}},
      {"limits", {{"requests_per_second", 1000}, {"request_burst", 1000}}},
      {"shutdown", {{"drain_seconds", 5}}},
      {"sandbox", {{"workspace_root", dir + "/workspaces"}, {"id_lock_dir", dir + "/ids"}}}};
}

Config test_config(const std::string& dir) {
  auto config = parse_config(test_config_json(dir), dir + "/agentd.json");
  if (!config) throw std::runtime_error(config.error().message);
  return std::move(*config);
}

TestDaemon::TestDaemon(const std::string& dir, const std::function<void(Config&)>& adjust,
                       std::shared_ptr<sandbox::Runner> sandboxes)
    : config_(test_config(dir)) {
  if (adjust) adjust(config_);
  unix_path_ = config_.listen.unix_path;
  server_ = std::make_unique<Server>(io_, config_, runner_, std::move(sandboxes),
                                     ServerOptions{false, false});
  started_ = server_->start();
  if (!started_) return;
  port_ = server_->tcp_port();
  thread_ = std::thread([this] { io_.run(); });
}

TestDaemon::~TestDaemon() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

std::unique_ptr<WsClient> TestDaemon::connect(const std::string& token) {
  auto client = WsClient::connect(tcp(), WsClient::Options{token, ""});
  if (!client) throw std::runtime_error(client.error().message);
  return std::move(*client);
}

double TestDaemon::metric(const std::string& name, const std::string& labels) {
  const std::string text = on_loop([this] { return server_->metrics_text(); });
  std::istringstream lines(text);
  std::string line;
  const std::string wanted = name + labels + " ";
  while (std::getline(lines, line))
    if (line.rfind(wanted, 0) == 0) return std::stod(line.substr(wanted.size()));
  return 0;
}

}  // namespace agentd::testing
