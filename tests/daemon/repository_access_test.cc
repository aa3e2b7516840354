// Which host repositories a tenant may use: the configuration's globs (read, validated, named
// by their JSON pointer in errors), how they match, and task.submit through a daemon holding
// a repository path against them after resolving it, symlinks included.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "daemon/config.h"
#include "daemon/tenants.h"
#include "tests/daemon/test_daemon.h"

namespace agentd {
namespace {

using nlohmann::json;
using testing::TestDaemon;
using testing::WsClient;
namespace fs = std::filesystem;

json tenant_with(const json& repositories) {
  return json{
      {"name", "a"}, {"token_sha256", std::string(64, 'a')}, {"repositories", repositories}};
}

std::string errors_of(const json& document) {
  auto config = parse_config(document, "test.json");
  return config ? std::string() : config.error().message;
}

TEST(RepositoryConfig, GlobsAndTheBundleCapAreRead) {
  auto config = parse_config({{"tenants", {tenant_with({"/srv/git/*", "/home/alice/src/**"})}},
                              {"repositories", {{"max_bundle_bytes", 1 << 20}}}},
                             "test.json");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->tenants[0].repositories,
            (std::vector<std::string>{"/srv/git/*", "/home/alice/src/**"}));
  EXPECT_EQ(config->repositories.max_bundle_bytes, 1u << 20);
  EXPECT_EQ(config->tenants[0].max_bundle_bytes, 1u << 20);
}

TEST(RepositoryConfig, NothingIsAllowedByDefaultAndBundlesAreCappedAt32MiB) {
  auto config = parse_config(
      {{"tenants", {{{"name", "a"}, {"token_sha256", std::string(64, 'a')}}}}}, "test.json");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(config->tenants[0].repositories.empty());
  EXPECT_EQ(config->repositories.max_bundle_bytes, 32u << 20);
  EXPECT_FALSE(TenantDirectory(config->tenants).find("a")->allows_repository("/srv/git/app"));
}

TEST(RepositoryConfig, BadGlobsAreNamedByTheirPointer) {
  const std::pair<json, std::string> cases[] = {
      {{{"tenants", {tenant_with({"/srv/git/*", "srv/git"})}}},
       "/tenants/0/repositories/1: expected an absolute path glob"},
      {{{"tenants", {tenant_with({"/srv/git/../etc"})}}},
       "/tenants/0/repositories/0: expected an absolute path glob (\"/srv/git/*\", "
       "\"/home/alice/src/**\") without \".\" or \"..\" components, got \"/srv/git/../etc\""},
      {{{"tenants", {tenant_with({std::string("/srv/a\0b", 8)})}}},
       "/tenants/0/repositories/0: expected an absolute path glob (\"/srv/git/*\", "
       "\"/home/alice/src/**\"), got a path holding NUL"},
      {{{"tenants", {tenant_with({"/srv//git"})}}}, "/tenants/0/repositories/0: "},
      {{{"tenants", {tenant_with({"/srv/git/"})}}}, "without empty components"},
      {{{"tenants", {tenant_with({"/"})}}}, "/tenants/0/repositories/0: "},
      {{{"tenants", {tenant_with({"/srv/a**"})}}}, "where ** is a whole component"},
      {{{"tenants", {tenant_with({""})}}}, "/tenants/0/repositories/0: "},
      {{{"tenants", {tenant_with("/srv/*")}}}, "/tenants/0/repositories: expected an array"},
      {{{"repositories", {{"max_bundle_bytes", (32 << 20) + 1}}}},
       "/repositories/max_bundle_bytes: expected an integer from 0 to 33554432"},
      {{{"repositories", {{"max_bytes", 1}}}}, "/repositories/max_bytes: unknown key"},
  };
  for (const auto& [document, expected] : cases) {
    const std::string errors = errors_of(document);
    EXPECT_NE(errors.find(expected), std::string::npos)
        << "expected \"" << expected << "\" in: " << errors;
  }
}

// The ```json blocks of docs/operations.md that show `repositories`, each a fragment of the
// configuration object.
std::vector<std::string> operations_examples() {
  std::ifstream in(AGENTD_SOURCE_DIR "/docs/operations.md");
  std::vector<std::string> blocks;
  std::string line, block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```json") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      if (block.find("\"repositories\"") != std::string::npos) blocks.push_back(block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  return blocks;
}

TEST(RepositoryConfig, TheOperationsGuidesExampleParsesAndLetsItsBundlesThrough) {
  const auto blocks = operations_examples();
  ASSERT_FALSE(blocks.empty()) << "docs/operations.md lost its repositories example";
  for (const std::string& block : blocks) {
    const json document = json::parse("{" + block + "}", nullptr, false);
    ASSERT_FALSE(document.is_discarded()) << block;
    auto config = parse_config(document, "operations.md");
    ASSERT_TRUE(config) << config.error().message;
    ASSERT_FALSE(config->tenants.empty());
    EXPECT_EQ(config->tenants[0].repositories,
              (std::vector<std::string>{"/srv/git/*", "/home/alice/src/**"}));
    // A largest bundle, base64, with room for the rest of the request.
    const uint64_t bundle = config->repositories.max_bundle_bytes;
    EXPECT_GE(config->limits.max_message_bytes, (bundle + 2) / 3 * 4 + uint64_t(64) * 1024)
        << block;
  }
}

TEST(RepositoryConfig, TheExampleConfigurationShowsIt) {
  auto config = load_config(AGENTD_SOURCE_DIR "/systemd/agentd.example.json");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_FALSE(config->tenants[0].repositories.empty());
  EXPECT_EQ(config->repositories.max_bundle_bytes, 32u << 20);
}

TEST(RepositoryGlobs, StarStaysWithinOneComponentAndDoubleStarSpansAny) {
  EXPECT_TRUE(repository_glob_matches("/srv/git/*", "/srv/git/app"));
  EXPECT_TRUE(repository_glob_matches("/srv/git/*.git", "/srv/git/app.git"));
  EXPECT_FALSE(repository_glob_matches("/srv/git/*", "/srv/git/app/sub"));
  EXPECT_FALSE(repository_glob_matches("/srv/git/*", "/srv/git"));
  EXPECT_FALSE(repository_glob_matches("/srv/git/*", "/srv/gitx/app"));
  EXPECT_TRUE(repository_glob_matches("/home/alice/src/**", "/home/alice/src/a"));
  EXPECT_TRUE(repository_glob_matches("/home/alice/src/**", "/home/alice/src/a/b/c"));
  EXPECT_FALSE(repository_glob_matches("/home/alice/src/**", "/home/alice/src"));
  EXPECT_FALSE(repository_glob_matches("/home/alice/src/**", "/home/alice/srcx/a"));
  EXPECT_TRUE(repository_glob_matches("/srv/**/repo", "/srv/repo"));
  EXPECT_TRUE(repository_glob_matches("/srv/**/repo", "/srv/a/b/repo"));
  EXPECT_FALSE(repository_glob_matches("/srv/**/repo", "/srv/a/b/repo/x"));
  EXPECT_TRUE(repository_glob_matches("/srv/git/app", "/srv/git/app"));
  EXPECT_FALSE(repository_glob_matches("/srv/git/app", "/srv/git/ap"));
  EXPECT_TRUE(repository_glob_matches("/*/*a*b*", "/x/aXXbYY"));
  EXPECT_FALSE(repository_glob_matches("/*/*a*b*", "/x/bXXa"));
  // Many "**" against a deep path: the matcher does not backtrack exponentially.
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "/d";
  EXPECT_FALSE(repository_glob_matches("/**/**/**/**/**/**/**/**/x", deep));
}

// A daemon whose tenant alice may use the repositories under ROOT/allowed; bob has no
// repositories. ROOT/allowed/app is a directory, ROOT/allowed/escape a symlink to
// ROOT/outside, ROOT/allowed/file a regular file.
class RepositorySubmitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = fs::path(dir.path()) / "repos";
    fs::create_directories(root / "allowed" / "app");
    fs::create_directories(root / "outside");
    fs::create_symlink(root / "outside", root / "allowed" / "escape");
    std::ofstream(root / "allowed" / "file") << "not a directory\n";
    daemon = std::make_unique<TestDaemon>(dir.path(), [this](Config& config) {
      config.tenants[0].repositories = {(root / "allowed" / "*").string()};
      for (auto& tenant : config.tenants) tenant.max_bundle_bytes = 8;
    });
    ASSERT_TRUE(daemon->started()) << daemon->started().error().message;
  }

  static json spec_with(const json& repository) {
    json source = repository;
    source["test_command"] = {"python3", "-m", "pytest", "-q"};
    return json{{"pattern", "best_of_n"},
                {"prompt", "block"},
                {"options", {{"n", 1}}},
                {"roles", {{"coder", {{"model", "scripted"}, {"policy", "coder"}}}}},
                {"repository", source}};
  }
  json submit(const std::string& path, const std::string& token = "alice-token") {
    auto client = daemon->connect(token);
    return client->call("task.submit", {{"spec", spec_with({{"path", path}})}});
  }
  static void expect_refused(const json& reply, int code, const std::string& words) {
    ASSERT_TRUE(reply.contains("error")) << reply.dump();
    EXPECT_EQ(reply["error"]["code"], code) << reply.dump();
    EXPECT_EQ(reply["error"]["data"]["path"], "/spec/repository/path") << reply.dump();
    EXPECT_NE(reply["error"]["message"].get<std::string>().find(words), std::string::npos)
        << reply.dump();
  }

  testing::TempDir dir;
  fs::path root;
  std::unique_ptr<TestDaemon> daemon;
};

TEST_F(RepositorySubmitTest, AnAllowedPathIsAcceptedAndKeptCanonical) {
  // Reached through "..", the path is stored as where it really is.
  const std::string roundabout = (root / "allowed" / "app" / ".." / "app").string();
  json reply = submit(roundabout);
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  auto client = daemon->connect();
  json task = client->call("task.get", {{"task_id", reply["result"]["task_id"]}});
  ASSERT_TRUE(task.contains("result")) << task.dump();
  EXPECT_EQ(task["result"]["spec"]["repository"]["path"],
            fs::canonical(root / "allowed" / "app").string())
      << task.dump();
  client->call("task.cancel", {{"task_id", reply["result"]["task_id"]}});
}

TEST_F(RepositorySubmitTest, APathOutsideTheGlobsIsRefused) {
  expect_refused(submit((root / "outside").string()), -32007,
                 "the operator's configuration does not list it for this tenant");
  // "/allowed/../outside" reads as inside only if ".." is ignored.
  expect_refused(submit((root / "allowed" / ".." / "outside").string()), -32007,
                 "does not list it");
}

TEST_F(RepositorySubmitTest, ASymlinkInsideAnAllowedDirectoryCannotLeadOut) {
  json reply = submit((root / "allowed" / "escape").string());
  expect_refused(reply, -32007, "symbolic link");
  EXPECT_EQ(reply["error"]["message"].get<std::string>().find((root / "outside").string()),
            std::string::npos)
      << "the refusal shows where the link leads: " << reply.dump();
}

TEST_F(RepositorySubmitTest, AMissingPathOrAFileIsNamed) {
  expect_refused(submit((root / "allowed" / "gone").string()), -32602, "does not exist");
  expect_refused(submit((root / "allowed" / "file").string()), -32602, "is not a directory");
  // Outside the allowed tree, whether a path exists is not told.
  expect_refused(submit((root / "nowhere").string()), -32007, "does not list it");
}

TEST_F(RepositorySubmitTest, ATenantWithoutRepositoriesIsRefusedEveryPath) {
  expect_refused(submit((root / "allowed" / "app").string(), "bob-token"), -32007,
                 "lists no repository");
}

TEST_F(RepositorySubmitTest, ABundleOverTheServersCapIsRefused) {
  auto client = daemon->connect();
  // base64 of 12 bytes; the daemon here takes at most 8.
  json reply = client->call("task.submit", {{"spec", spec_with({{"bundle", "AAAAAAAAAAAAAAAA"}})}});
  ASSERT_TRUE(reply.contains("error")) << reply.dump();
  EXPECT_EQ(reply["error"]["code"], -32602);
  EXPECT_EQ(reply["error"]["data"]["path"], "/spec/repository/bundle");
  EXPECT_NE(reply["error"]["message"].get<std::string>().find("at most 8 bytes"), std::string::npos)
      << reply.dump();
}

TEST_F(RepositorySubmitTest, AReloadAppliesNewGlobs) {
  expect_refused(submit((root / "allowed" / "app").string(), "bob-token"), -32007, "");
  json document = testing::test_config_json(dir.path());
  document["tenants"][1]["repositories"] = {(root / "allowed" / "app").string()};
  std::ofstream(daemon->config().file) << document.dump(2);
  daemon->on_loop([this] {
    daemon->server().reload();
    return 0;
  });
  json reply;
  for (int i = 0; i < 200; ++i) {
    reply = submit((root / "allowed" / "app").string(), "bob-token");
    if (reply.contains("result")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  daemon->connect("bob-token")->call("task.cancel", {{"task_id", reply["result"]["task_id"]}});
}

}  // namespace
}  // namespace agentd
