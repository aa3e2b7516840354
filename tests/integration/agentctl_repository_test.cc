// agentctl's side of repository tasks, without a daemon: --test split into words as a shell
// would (without one), --repo/--ref/--test written into the spec (a path for a daemon on this
// host, a bundle for a remote one), a real git bundle that runs none of the repository's
// configured commands, and the patch `get --patch` prints.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "daemon/agentctl/cli.h"
#include "daemon/agentctl/repository.h"

namespace agentctl {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const char* no_env(const char*) {
  return nullptr;
}

using Words = std::vector<std::string>;

TEST(SplitWords, QuotesAndBackslashesAsAShellReadsThem) {
  const std::pair<std::string, Words> cases[] = {
      {"python3 -m pytest -q", {"python3", "-m", "pytest", "-q"}},
      {"  a\t b\n", {"a", "b"}},
      {"pytest -k 'a and not b'", {"pytest", "-k", "a and not b"}},
      {"echo \"x y\" z", {"echo", "x y", "z"}},
      {"a\\ b", {"a b"}},
      {"'it'\"'\"'s'", {"it's"}},
      {"\"a\\\"b\\\\c\\d\"", {"a\"b\\c\\d"}},
      {"'a\\b'", {"a\\b"}},
      {"x '' y", {"x", "", "y"}},
      {"a\\\nb", {"ab"}},
      {"'a|b' \"$HOME\" \\;", {"a|b", "$HOME", ";"}},
      {"--junitxml={junit_xml} -- *.py", {"--junitxml={junit_xml}", "--", "*.py"}},
      {"", {}},
  };
  for (const auto& [text, expected] : cases) {
    auto words = split_words(text);
    ASSERT_TRUE(words) << text << ": " << words.error().message;
    EXPECT_EQ(*words, expected) << text;
  }
}

TEST(SplitWords, WhatAShellWouldReadDifferentlyIsAnError) {
  const std::pair<std::string, std::string> cases[] = {
      {"pytest 'a", "unbalanced ' quote"},
      {"pytest \"a", "unbalanced \" quote"},
      {"pytest a\\", "ends with a backslash"},
      {"pytest | tee out", "unquoted |"},
      {"make && pytest", "unquoted &"},
      {"pytest > out", "unquoted >"},
      {"echo $HOME", "unquoted $"},
      {"echo `id`", "unquoted `"},
  };
  for (const auto& [text, expected] : cases) {
    auto words = split_words(text);
    ASSERT_FALSE(words) << text;
    EXPECT_NE(words.error().message.find(expected), std::string::npos) << words.error().message;
  }
}

TEST(RepositoryOptions, CommandLineReadsThemForSubmitOnly) {
  auto inv = parse_command_line({"submit", "spec.json", "--repo", ".", "--ref=v1.2", "--test",
                                 "python3 -m pytest -q 'tests/a b.py'"},
                                no_env);
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(inv->repo, ".");
  EXPECT_EQ(inv->ref, "v1.2");
  EXPECT_EQ(inv->test_command, (Words{"python3", "-m", "pytest", "-q", "tests/a b.py"}));

  auto unbalanced = parse_command_line({"submit", "s.json", "--test", "pytest 'x"}, no_env);
  ASSERT_FALSE(unbalanced);
  EXPECT_NE(unbalanced.error().message.find("--test: unbalanced"), std::string::npos)
      << unbalanced.error().message;
  EXPECT_FALSE(parse_command_line({"submit", "s.json", "--test", " "}, no_env));
  EXPECT_FALSE(parse_command_line({"get", "t-1", "--repo", "."}, no_env));
  EXPECT_FALSE(parse_command_line({"submit", "s.json", "--patch"}, no_env));
  auto patch = parse_command_line({"get", "t-1", "--patch"}, no_env);
  ASSERT_TRUE(patch) << patch.error().message;
  EXPECT_TRUE(patch->patch);
}

TEST(RepositoryOptions, LocalAndLoopbackDaemonsShareThisHostsFiles) {
  auto endpoint = [](const std::string& text) { return *parse_endpoint(text); };
  EXPECT_TRUE(is_local(endpoint("unix:/run/agentd/agentd.sock")));
  EXPECT_TRUE(is_local(endpoint("ws://127.0.0.1:7878")));
  EXPECT_TRUE(is_local(endpoint("ws://127.1.2.3:7878")));
  EXPECT_TRUE(is_local(endpoint("ws://localhost:7878")));
  EXPECT_TRUE(is_local(endpoint("wss://[::1]:7878")));
  EXPECT_FALSE(is_local(endpoint("wss://agentd.example.org")));
  EXPECT_FALSE(is_local(endpoint("ws://10.0.0.5:7878")));
  EXPECT_FALSE(is_local(endpoint("ws://128.0.0.1:7878")));
}

class SpecBuilding : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("agentctl-repo-" + std::to_string(getpid()));
    fs::create_directories(dir / "app");
  }
  void TearDown() override { fs::remove_all(dir); }

  Invocation with(std::optional<std::string> repo, std::optional<std::string> ref = {},
                  std::optional<Words> test = {}) {
    Invocation inv;
    inv.command = "submit";
    inv.repo = std::move(repo);
    inv.ref = std::move(ref);
    inv.test_command = std::move(test);
    return inv;
  }
  static base::Expected<std::string> fake_bundle(const std::string& path) {
    return "BUNDLE-OF:" + path;
  }

  fs::path dir;
};

TEST_F(SpecBuilding, ALocalDaemonGetsTheAbsolutePath) {
  const fs::path before = fs::current_path();
  fs::current_path(dir);
  json spec = {{"pattern", "best_of_n"}};
  auto applied = apply_repository_options(spec, with("./app/", "main", Words{"make", "test"}), true,
                                          fake_bundle);
  fs::current_path(before);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(
      spec["repository"],
      (json{{"path", (dir / "app").string()}, {"ref", "main"}, {"test_command", {"make", "test"}}}))
      << spec.dump();
}

TEST_F(SpecBuilding, ARemoteDaemonGetsABundleInsteadOfThePath) {
  json spec = {{"repository", {{"path", "/elsewhere"}, {"keep_branch", false}}}};
  auto applied = apply_repository_options(spec, with((dir / "app").string()), false, fake_bundle);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(spec["repository"],
            (json{{"bundle", "BUNDLE-OF:" + (dir / "app").string()}, {"keep_branch", false}}))
      << spec.dump();
}

TEST_F(SpecBuilding, RefAndTestOverrideTheSpecsRepository) {
  json spec = {{"repository", {{"path", "/srv/git/app"}, {"ref", "HEAD"}}}};
  ASSERT_TRUE(apply_repository_options(spec, with({}, "v2", Words{"pytest"}), true, fake_bundle));
  EXPECT_EQ(spec["repository"],
            (json{{"path", "/srv/git/app"}, {"ref", "v2"}, {"test_command", {"pytest"}}}));
  json bare = {{"pattern", "best_of_n"}};
  auto orphan = apply_repository_options(bare, with({}, "v2"), true, fake_bundle);
  ASSERT_FALSE(orphan);
  EXPECT_NE(orphan.error().message.find("need --repo"), std::string::npos);
  json untouched = {{"pattern", "vote"}};
  ASSERT_TRUE(apply_repository_options(untouched, with({}), true, fake_bundle));
  EXPECT_FALSE(untouched.contains("repository"));
}

TEST_F(SpecBuilding, AMissingRepositoryOrAFailedBundleIsAnError) {
  json spec = json::object();
  auto missing = apply_repository_options(spec, with((dir / "gone").string()), true, fake_bundle);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("not a directory"), std::string::npos);
  auto failing = apply_repository_options(
      spec, with((dir / "app").string()), false,
      [](const std::string&) -> base::Expected<std::string> { return base::Error{"no git"}; });
  ASSERT_FALSE(failing);
  EXPECT_EQ(failing.error().message, "no git");
  EXPECT_FALSE(spec.contains("repository"));
}

// A repository whose configuration and hooks try to run a command on the user's machine.
TEST_F(SpecBuilding, TheGitBundleRunsNoneOfTheRepositorysCommands) {
  if (std::system("git --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "git is not installed";
  const std::string repo = (dir / "app").string();
  const std::string marker = (dir / "ran").string();
  const std::string script = (dir / "evil.sh").string();
  std::ofstream(script) << "#!/bin/sh\ntouch " << marker << "\n";
  chmod(script.c_str(), 0755);
  const std::string setup =
      "cd " + repo + " && git init -q && git config user.email a@b && git config user.name a" +
      " && echo hello > f && git add f && git commit -q -m one" + " && git config core.fsmonitor " +
      script + " && mkdir -p .git/hooks" + " && cp " + script + " .git/hooks/pre-push && cp " +
      script + " .git/hooks/post-checkout";
  ASSERT_EQ(std::system(setup.c_str()), 0);
  auto bundle = git_bundle_base64(repo);
  ASSERT_TRUE(bundle) << bundle.error().message;
  EXPECT_EQ(bundle->rfind(base64_encode("# v2 git bundle\n").substr(0, 20), 0), 0u) << *bundle;
  EXPECT_FALSE(fs::exists(marker)) << "the repository's fsmonitor or a hook ran";
  auto not_a_repo = git_bundle_base64(dir.string() + "/nothing");
  ASSERT_FALSE(not_a_repo);
  EXPECT_NE(not_a_repo.error().message.find("git failed"), std::string::npos)
      << not_a_repo.error().message;
}

TEST(Patch, ThePatchOfAFinishedRepositoryTask) {
  const std::string diff = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";
  json task = {{"task_id", "t-1"},
               {"state", "succeeded"},
               {"result", {{"repository", {{"patch", diff}, {"truncated", false}}}}}};
  auto patch = patch_of(task);
  ASSERT_TRUE(patch) << patch.error().message;
  EXPECT_EQ(*patch, diff);
}

TEST(Patch, NoPatchIsSaidPlainly) {
  const std::pair<json, std::string> cases[] = {
      {{{"task_id", "t-1"}, {"state", "running"}}, "has no patch yet: it is running"},
      {{{"task_id", "t-1"}, {"state", "succeeded"}, {"result", {{"answer", "42"}}}},
       "its result holds no repository"},
      {{{"task_id", "t-1"}, {"state", "failed"}, {"result", nullptr}}, "holds no repository"},
      {{{"task_id", "t-1"}, {"state", "succeeded"}, {"result", {{"repository", {{"patch", ""}}}}}},
       "changed nothing"},
      {{{"task_id", "t-1"},
        {"state", "succeeded"},
        {"result",
         {{"repository",
           {{"patch", "diff"},
            {"truncated", true},
            {"branch", "agentd/t-1/c"},
            {"head", "abc"}}}}}},
       "truncated (the daemon caps it); branch agentd/t-1/c (commit abc) holds the whole change"},
  };
  for (const auto& [task, expected] : cases) {
    auto patch = patch_of(task);
    ASSERT_FALSE(patch) << task.dump();
    EXPECT_NE(patch.error().message.find(expected), std::string::npos) << patch.error().message;
  }
}

TEST(Patch, Base64IsPaddedAndUnwrapped) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string(100, 'x')).find('\n'), std::string::npos);
}

}  // namespace
}  // namespace agentctl
