// `extends`: objects merge key by key, arrays and scalars replace, null removes; a child may
// narrow or widen what it inherits (the server's caps are the ceiling); cycles are errors.
#include <gtest/gtest.h>

#include "tests/policies/test_support.h"

namespace policies::testing {
namespace {

using std::chrono::milliseconds;

Policy load_file_ok(const std::filesystem::path& file, const LoadOptions& options = {}) {
  Validated<Policy> loaded = load_policy_file(file, options);
  EXPECT_TRUE(loaded.ok()) << format(loaded.errors);
  return loaded.ok() ? *loaded.value : Policy{};
}

TEST(Merge, ObjectsMergeKeyByKeyAndArraysAndScalarsReplace) {
  Policy coder = builtin("coder");
  Policy child = load_ok(R"({
    "extends": "coder",
    "tools": {"run_code": {"languages": ["python"]}},
    "limits": {"memory": "256M"}
  })");
  EXPECT_EQ(child.scope.run_code.languages, std::vector<Language>{Language::python});
  EXPECT_EQ(child.limits.memory_bytes, 256u << 20);
  EXPECT_EQ(child.limits.pids, coder.limits.pids);  // sibling key kept
  EXPECT_EQ(child.limits.wall_time, coder.limits.wall_time);
  EXPECT_TRUE(child.scope.write_file.allowed);  // sibling tool kept
  EXPECT_EQ(child.description, coder.description);
  EXPECT_EQ(child.sources, (std::vector<std::string>{"builtin/coder.json", "test.json"}));
  EXPECT_EQ(child.name, "test");
}

TEST(Merge, NullRemovesAnInheritedToolOrValue) {
  Policy child = load_ok(R"({
    "extends": "coder",
    "tools": {"write_file": null, "run_code": {"languages": null}},
    "limits": {"memory": null}
  })");
  EXPECT_FALSE(child.scope.write_file.allowed);
  EXPECT_TRUE(child.scope.read_file.allowed);
  EXPECT_EQ(child.scope.run_code.languages, std::vector<Language>{Language::python});  // default
  EXPECT_EQ(child.limits.memory_bytes, 512u << 20);                                    // default
}

TEST(Merge, AChildMayWidenWhatItInherits) {
  Policy child = load_ok(R"({
    "extends": "reviewer",
    "tools": {"http_get": {"allow_hosts": ["docs.python.org"]}},
    "limits": {"memory": "2G"}
  })");
  EXPECT_TRUE(child.scope.http_get.allowed);
  EXPECT_TRUE(child.scope.read_file.allowed);
  EXPECT_EQ(child.limits.memory_bytes, 2ull << 30);
}

TEST(Merge, ExtendsFilesRelativeToTheExtendingFile) {
  TempDir dir;
  dir.write("base/base.json", R"({"extends": "builtin:tester", "limits": {"pids": 7}})");
  std::filesystem::path child =
      dir.write("team/child.json", R"({"extends": "../base/base.json", "limits": {"cpu": 2}})");
  Policy policy = load_file_ok(child);
  EXPECT_EQ(policy.name, "child");
  EXPECT_EQ(policy.limits.pids, 7u);
  EXPECT_EQ(policy.limits.cpu_millicores, 2000u);
  EXPECT_TRUE(policy.scope.run_code.allowed);  // from tester
  ASSERT_EQ(policy.sources.size(), 3u);
  EXPECT_EQ(policy.sources[0], "builtin/tester.json");
  EXPECT_EQ(policy.sources[2], child.string());
}

TEST(Merge, NamesResolveInOperatorDirectoriesBeforeBuiltins) {
  TempDir dir;
  // An operator's own "coder" that extends the shipped one: no cycle, thanks to "builtin:".
  dir.write("coder.json", R"({"extends": "builtin:coder", "limits": {"memory": "3G"}})");
  LoadOptions options;
  options.search_dirs = {dir.path()};
  Policy policy = load_ok(R"({"extends": "coder"})", options);
  EXPECT_EQ(policy.limits.memory_bytes, 3ull << 30);
  EXPECT_TRUE(policy.scope.run_code.allowed);
  EXPECT_EQ(load_policy_named("coder", options).value->limits.memory_bytes, 3ull << 30);
  EXPECT_EQ(load_policy_named("coder").value->limits.memory_bytes, 1ull << 30);
}

TEST(Merge, CyclesAreErrorsNamingTheChain) {
  TempDir dir;
  dir.write("a.json", R"({"extends": "b.json"})");
  dir.write("b.json", "{\n  \"extends\": \"./a.json\"\n}");
  Validated<Policy> loaded = load_policy_file(dir.path() / "a.json");
  ASSERT_FALSE(loaded.ok());
  ASSERT_EQ(loaded.errors.size(), 1u);
  const Diagnostic& error = loaded.errors[0];
  EXPECT_EQ(error.file, (dir.path() / "b.json").string());
  EXPECT_EQ(error.line, 2u);
  EXPECT_EQ(error.pointer, "/extends");
  EXPECT_NE(error.message.find("extends cycle"), std::string::npos) << error.message;

  dir.write("self.json", R"({"extends": "self.json"})");
  EXPECT_NE(format(load_policy_file(dir.path() / "self.json").errors).find("extends cycle"),
            std::string::npos);
}

TEST(Merge, LongChainsAreCut) {
  TempDir dir;
  for (size_t i = 0; i < kMaxExtendsDepth + 2; ++i) {
    dir.write("p" + std::to_string(i) + ".json",
              R"({"extends": "p)" + std::to_string(i + 1) + R"(.json"})");
  }
  dir.write("p" + std::to_string(kMaxExtendsDepth + 2) + ".json", "{}");
  Validated<Policy> loaded = load_policy_file(dir.path() / "p0.json");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(format(loaded.errors).find("levels of extends"), std::string::npos);
}

TEST(Merge, UnknownParentsAndParentErrorsNameTheirFiles) {
  Diagnostics unknown = load_errors("{\"limits\": {},\n \"extends\": \"nosuch\"}");
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].to_string().substr(0, 22), "test.json:2:13: /exten");
  EXPECT_NE(unknown[0].message.find("unknown policy \"nosuch\"; built-in policies: coder"),
            std::string::npos);

  TempDir dir;
  dir.write("parent.json", "{\n  \"limits\": {\"pids\": -1}\n}");
  std::filesystem::path child = dir.write("child.json", R"({"extends": "parent.json", "x": 1})");
  Validated<Policy> loaded = load_policy_file(child);
  ASSERT_EQ(loaded.errors.size(), 2u) << format(loaded.errors);
  EXPECT_EQ(loaded.errors[0].pointer, "/x");
  EXPECT_EQ(loaded.errors[0].file, child.string());
  EXPECT_EQ(loaded.errors[1].pointer, "/limits/pids");
  EXPECT_EQ(loaded.errors[1].file, (dir.path() / "parent.json").string());
  EXPECT_EQ(loaded.errors[1].line, 2u);
}

TEST(Merge, ErrorsFoundAfterMergingPointAtTheFileThatSetTheValue) {
  TempDir dir;
  dir.write("parent.json", "{\n\n  \"network\": \"host\"\n}");
  std::filesystem::path child = dir.write("child.json", R"({"extends": "parent.json"})");
  Validated<Policy> loaded = load_policy_file(child);
  ASSERT_EQ(loaded.errors.size(), 1u);
  EXPECT_EQ(loaded.errors[0].file, (dir.path() / "parent.json").string());
  EXPECT_EQ(loaded.errors[0].line, 3u);
  EXPECT_EQ(loaded.errors[0].pointer, "/network");

  // The opt-in may come from either file.
  dir.write("optin.json", R"({"extends": "parent.json", "allow_host_network": true})");
  EXPECT_TRUE(load_policy_file(dir.path() / "optin.json").ok());
}

TEST(Merge, AnExtendsTargetOfTheWrongKindIsNotFollowed) {
  Diagnostics errors = load_errors(R"({"extends": 5})");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].pointer, "/extends");
  EXPECT_NE(errors[0].message.find("expected a policy name"), std::string::npos);
}

}  // namespace
}  // namespace policies::testing
