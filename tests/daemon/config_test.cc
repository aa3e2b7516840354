// The configuration file: the shipped example parses, defaults hold, and every mistake is
// reported with its JSON pointer.
#include "daemon/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "daemon/config_check.h"
#include "daemon/tenants.h"
#include "tests/daemon/test_daemon.h"

namespace agentd {
namespace {

using nlohmann::json;

std::string errors_of(const json& document) {
  auto config = parse_config(document, "test.json");
  return config ? std::string() : config.error().message;
}

TEST(Config, TheExampleConfigurationParses) {
  auto config = load_config(AGENTD_SOURCE_DIR "/systemd/agentd.example.json");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_FALSE(config->tenants.empty());
  EXPECT_FALSE(config->models.empty());
  EXPECT_EQ(config->limits.max_message_bytes, 1u << 20);
  EXPECT_EQ(config->limits.send_queue_bytes, 4u << 20);
}

TEST(Config, DefaultsFollowTheProtocolContract) {
  auto config = parse_config(json::object(), "empty.json");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->limits.max_message_bytes, 1u << 20);
  EXPECT_EQ(config->limits.connections_per_tenant, 16u);
  EXPECT_EQ(config->limits.requests_per_second, 50);
  EXPECT_EQ(config->limits.request_burst, 100);
  EXPECT_EQ(config->limits.idle_timeout, std::chrono::seconds(120));
  EXPECT_EQ(config->limits.ping_interval, std::chrono::seconds(30));
  EXPECT_EQ(config->limits.max_batch, 16u);
  EXPECT_EQ(config->listen.address, "127.0.0.1");
}

TEST(Config, ErrorsNameTheJsonPointerOfTheKey) {
  const std::pair<json, std::string> cases[] = {
      {{{"listen", {{"port", 70000}}}},
       "/listen/port: expected an integer from 0 to 65535, got 70000"},
      {{{"listen", {{"adress", "x"}}}},
       "/listen/adress: unknown key; expected one of: address, port"},
      {{{"limits", {{"idle_timeout", "2m"}}}},
       "/limits/idle_timeout: expected a number from 0.05 to 86400.0, got \"2m\""},
      {{{"journal", {{"path", ""}}}}, "/journal/path: expected a non-empty string, got \"\""},
      {{{"tls", {{"cert", "/c.pem"}}}}, "/tls/key: tls needs both cert and key"},
      {{{"tenants", {{{"name", "a"}, {"token_sha256", "abc"}}}}},
       "/tenants/0/token_sha256: expected 64 hex digits"},
      {{{"tenants", {{{"name", "a b"}, {"token_sha256", std::string(64, 'a')}}}}},
       "/tenants/0/name: expected 1 to 64 of"},
      {{{"tenants",
         {{{"name", "a"}, {"token_sha256", std::string(64, 'a')}, {"quotas", {{"agents", -1}}}}}}},
       "/tenants/0/quotas/agents: expected an integer from 0 to 1000000, got -1"},
      {{{"roles_default", {{"worker", {{"model", "missing"}}}}}},
       "/roles_default/worker/model: no configured model"},
      {{{"bogus", 1}}, "/bogus: unknown key"},
      // A key is one RFC 6901 token, so that the pointer resolves even for odd keys.
      {{{"limits", {{"a/b~c", 1}}}}, "/limits/a~1b~0c: unknown key"},
      {json::array(), "/: expected an object, got []"},
      {{{"limits", 5}}, "/limits: expected an object, got 5"},
      {{{"policies", {{"dirs", {"/p", ""}}}}}, "/policies/dirs/1: expected a non-empty string"},
      {{{"tenants", 1}}, "/tenants: expected an array of tenants, got 1"},
  };
  for (const auto& [document, expected] : cases) {
    const std::string errors = errors_of(document);
    EXPECT_NE(errors.find(expected), std::string::npos)
        << "expected \"" << expected << "\" in: " << errors;
    EXPECT_EQ(errors.rfind("test.json: ", 0), 0u) << errors;
  }
}

TEST(Config, AllErrorsAreReportedTogether) {
  const std::string errors = errors_of(
      {{"listen", {{"port", -1}}}, {"limits", {{"max_batch", 0}}}, {"shutdown", {{"x", 1}}}});
  EXPECT_NE(errors.find("test.json: /listen/port: "), std::string::npos) << errors;
  EXPECT_NE(errors.find("\ntest.json: /limits/max_batch: "), std::string::npos) << errors;
  EXPECT_NE(errors.find("\ntest.json: /shutdown/x: unknown key"), std::string::npos) << errors;
}

TEST(Config, DuplicateTenantsAndSharedTokensAreRefused) {
  const std::string hash = token_sha256_hex("t");
  const std::string errors = errors_of(
      {{"tenants",
        {{{"name", "a"}, {"token_sha256", hash}}, {{"name", "a"}, {"token_sha256", hash}}}}});
  EXPECT_NE(errors.find("defined twice"), std::string::npos) << errors;
  EXPECT_NE(errors.find("another tenant"), std::string::npos) << errors;
}

TEST(Config, FilesMayHaveComments) {
  testing::TempDir dir;
  const std::string file = dir.path() + "/agentd.json";
  std::ofstream(file) << "// agentd\n{\n  /* where */ \"listen\": {\"port\": 9000} // here\n}\n";
  auto config = load_config(file);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->listen.port, 9000);
}

TEST(ConfigCheck, UnknownPoliciesOfTenantsAreNamed) {
  testing::TempDir dir;
  json document = testing::test_config_json(dir.path());
  document["tenants"][0]["policies"] = {"coder", "no-such-policy"};
  const std::string file = dir.path() + "/agentd.json";
  std::ofstream(file) << document.dump(2);
  auto checked = check_config_file(file);
  ASSERT_FALSE(checked);
  EXPECT_NE(
      checked.error().message.find("/tenants/0/policies/1: no policy named \"no-such-policy\""),
      std::string::npos)
      << checked.error().message;
}

TEST(ConfigCheck, BadPolicyFilesInThePolicyDirectoriesAreReported) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() + "/policies");
  std::ofstream(dir.path() + "/policies/broken.json") << R"({"tools": {"run_code": 5}})";
  json document = testing::test_config_json(dir.path());
  document["policies"] = {{"dirs", {dir.path() + "/policies"}}};
  const std::string file = dir.path() + "/agentd.json";
  std::ofstream(file) << document.dump(2);
  auto checked = check_config_file(file);
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("broken.json"), std::string::npos)
      << checked.error().message;
}

}  // namespace
}  // namespace agentd
