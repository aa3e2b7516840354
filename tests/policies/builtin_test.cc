// Every shipped policy is embedded, loads, compiles within the default caps, and grants what
// the issue says it grants and nothing more.
#include "policies/builtin.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "tests/policies/test_support.h"

namespace policies::testing {
namespace {

const std::filesystem::path kBuiltinDir = AGENTD_SOURCE_DIR "/policies/builtin";

TEST(Builtin, EveryShippedFileIsEmbeddedVerbatim) {
  std::set<std::string> on_disk;
  for (const auto& entry : std::filesystem::directory_iterator(kBuiltinDir)) {
    if (entry.path().extension() != ".json") continue;
    on_disk.insert(entry.path().stem().string());
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    bool found = false;
    for (const BuiltinPolicy& policy : builtin_policies()) {
      if (policy.name == entry.path().stem().string()) {
        found = true;
        EXPECT_EQ(policy.text, text.str()) << entry.path() << " differs from the embedded copy";
      }
    }
    EXPECT_TRUE(found) << entry.path() << " is not in policies/CMakeLists.txt";
  }
  std::vector<std::string> names = builtin_policy_names();
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), on_disk);
  EXPECT_EQ(on_disk,
            (std::set<std::string>{"coder", "tester", "reviewer", "researcher", "gpu-coder"}));
}

TEST(Builtin, EveryShippedPolicyLoadsFromItsFileAndCompilesWithoutClamping) {
  for (const std::string& name : builtin_policy_names()) {
    Validated<Policy> from_file = load_policy_file(kBuiltinDir / (name + ".json"));
    ASSERT_TRUE(from_file.ok()) << format(from_file.errors);
    Policy embedded = builtin(name);
    EXPECT_EQ(to_json(*from_file.value), to_json(embedded)) << name;
    EXPECT_EQ(embedded.name, name);
    EXPECT_FALSE(embedded.description.empty()) << name;
    Compiled compiled = compile(embedded, default_caps());
    EXPECT_TRUE(compiled.notes.empty()) << name << ": " << compiled.notes.front();
    EXPECT_EQ(compiled.spec.network, sandbox::NetworkMode::none) << name;
  }
}

TEST(Builtin, CoderRunsCodeAndWritesItsWorkspaceWithoutNetwork) {
  Policy coder = builtin("coder");
  EXPECT_EQ(coder.scope.run_code.languages,
            (std::vector<Language>{Language::python, Language::bash, Language::c, Language::cpp}));
  EXPECT_TRUE(coder.scope.read_file.allowed);
  EXPECT_TRUE(coder.scope.write_file.allowed);
  EXPECT_TRUE(coder.scope.list_files.allowed);
  EXPECT_FALSE(coder.scope.http_get.allowed);
  // The coding tools, with the write globs of write_file.
  for (const FileScope* coding : {&coder.scope.edit_file, &coder.scope.apply_patch}) {
    EXPECT_TRUE(coding->allowed);
    EXPECT_EQ(coding->globs, coder.scope.write_file.globs);
  }
  EXPECT_TRUE(coder.scope.search.allowed);
  EXPECT_TRUE(coder.scope.git_diff.allowed);
  EXPECT_EQ(coder.scope.check_apply_patch("src/a.py"), std::nullopt);
  EXPECT_EQ(coder.workspace, WorkspaceAccess::read_write);
  EXPECT_EQ(coder.scope.gpu.count, 0u);
}

TEST(Builtin, TesterRunsCodeOverAReadOnlyWorkspace) {
  Policy tester = builtin("tester");
  EXPECT_TRUE(tester.scope.run_code.allowed);
  EXPECT_TRUE(tester.scope.read_file.allowed);
  EXPECT_FALSE(tester.scope.write_file.allowed);
  EXPECT_FALSE(tester.scope.edit_file.allowed);
  EXPECT_FALSE(tester.scope.apply_patch.allowed);
  EXPECT_FALSE(tester.scope.http_get.allowed);
  EXPECT_EQ(tester.workspace, WorkspaceAccess::read_only);
}

TEST(Builtin, ReviewerOnlyReads) {
  Policy reviewer = builtin("reviewer");
  EXPECT_FALSE(reviewer.scope.run_code.allowed);
  EXPECT_TRUE(reviewer.scope.read_file.allowed);
  EXPECT_TRUE(reviewer.scope.list_files.allowed);
  EXPECT_FALSE(reviewer.scope.write_file.allowed);
  EXPECT_FALSE(reviewer.scope.edit_file.allowed);
  EXPECT_FALSE(reviewer.scope.apply_patch.allowed);
  EXPECT_FALSE(reviewer.scope.http_get.allowed);
  EXPECT_EQ(reviewer.workspace, WorkspaceAccess::read_only);
}

TEST(Builtin, ResearcherFetchesFromAnAllowlistAndRunsNothing) {
  Policy researcher = builtin("researcher");
  EXPECT_FALSE(researcher.scope.run_code.allowed);
  EXPECT_TRUE(researcher.scope.http_get.allowed);
  EXPECT_FALSE(researcher.scope.http_get.allow_hosts.empty());
  EXPECT_TRUE(researcher.scope.http_get.allow_private_cidrs.empty());
  EXPECT_EQ(researcher.scope.http_get.methods, std::vector<std::string>{"GET"});
}

TEST(Builtin, GpuCoderIsCoderPlusOneGpu) {
  Policy gpu_coder = builtin("gpu-coder");
  Policy coder = builtin("coder");
  EXPECT_EQ(gpu_coder.scope.gpu.count, 1u);
  EXPECT_TRUE(gpu_coder.scope.gpu.exclusive);
  EXPECT_EQ(gpu_coder.scope.run_code.languages, coder.scope.run_code.languages);
  EXPECT_EQ(gpu_coder.scope.write_file.globs, coder.scope.write_file.globs);
  EXPECT_TRUE(gpu_coder.scope.apply_patch.allowed);
  EXPECT_TRUE(gpu_coder.scope.git_diff.allowed);
  EXPECT_EQ(gpu_coder.workspace, coder.workspace);
  EXPECT_EQ(gpu_coder.sources,
            (std::vector<std::string>{"builtin/coder.json", "builtin/gpu-coder.json"}));
}

}  // namespace
}  // namespace policies::testing
