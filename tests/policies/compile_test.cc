// compile(): the sandbox::Spec template (layer two) and the ToolScope (layer one) from one
// policy, and the effective policy that `check` prints.
#include "policies/compile.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/policies/test_support.h"

namespace policies::testing {
namespace {

using std::chrono::milliseconds;

const sandbox::Mount* mount_at(const sandbox::Spec& spec, const std::string& target) {
  auto it = std::find_if(spec.mounts.begin(), spec.mounts.end(),
                         [&](const sandbox::Mount& mount) { return mount.target == target; });
  return it == spec.mounts.end() ? nullptr : &*it;
}

bool has_env(const sandbox::Spec& spec, const std::string& entry) {
  return std::find(spec.env.begin(), spec.env.end(), entry) != spec.env.end();
}

TEST(Compile, TheSpecCarriesThePolicysLimitsMountsNetworkAndEnvironment) {
  Policy policy = load_ok(R"({
    "limits": {"memory": "300M", "pids": 12, "cpu": 0.5, "cpu_weight": 50, "cpu_time": "3s",
               "wall_time": "4s", "output": "10K", "file_size": "1M", "open_files": 64,
               "tmp_size": "16M", "workspace_size": "32M", "shm_size": "8M"},
    "env": {"PATH": "/usr/bin", "MODE": "test"}
  })");
  Compiled compiled = compile(policy, default_caps());
  const sandbox::Spec& spec = compiled.spec;
  EXPECT_TRUE(spec.argv.empty());
  EXPECT_EQ(spec.limits.memory_bytes, 300u << 20);
  EXPECT_EQ(spec.limits.pids, 12u);
  EXPECT_EQ(spec.limits.cpu_millicores, 500u);
  EXPECT_EQ(spec.limits.cpu_weight, 50u);
  EXPECT_EQ(spec.limits.cpu_time, milliseconds(3000));
  EXPECT_EQ(spec.limits.wall_time, milliseconds(4000));
  EXPECT_EQ(spec.limits.stdout_bytes, 10u << 10);
  EXPECT_EQ(spec.limits.stderr_bytes, 10u << 10);
  EXPECT_EQ(spec.limits.file_size_bytes, 1u << 20);
  EXPECT_EQ(spec.limits.open_files, 64u);
  ASSERT_NE(mount_at(spec, "/tmp"), nullptr);
  EXPECT_EQ(mount_at(spec, "/tmp")->size_bytes, 16u << 20);
  ASSERT_NE(mount_at(spec, "/workspace"), nullptr);
  EXPECT_EQ(mount_at(spec, "/workspace")->type, sandbox::MountType::tmpfs);
  EXPECT_EQ(mount_at(spec, "/workspace")->size_bytes, 32u << 20);
  ASSERT_NE(mount_at(spec, "/dev"), nullptr);
  EXPECT_EQ(mount_at(spec, "/dev")->size_bytes, 8u << 20);
  EXPECT_EQ(spec.network, sandbox::NetworkMode::none);
  EXPECT_EQ(spec.seccomp.filter, nullptr);  // the built-in default profile
  EXPECT_FALSE(spec.seccomp.disabled);
  EXPECT_TRUE(has_env(spec, "PATH=/usr/bin"));
  EXPECT_FALSE(has_env(spec, "PATH=/usr/local/bin:/usr/bin:/bin"));
  EXPECT_TRUE(has_env(spec, "MODE=test"));
  EXPECT_TRUE(spec.devices.empty());
}

TEST(Compile, HostNetworkingAndSeccompFilesReachTheSpec) {
  TempDir dir;
  std::filesystem::copy_file(AGENTD_FIXTURES_DIR "/docker-default-seccomp.json",
                             dir.path() / "docker.json");
  std::filesystem::path file = dir.write(
      "p.json", R"({"seccomp": "docker.json", "network": "host", "allow_host_network": true})");
  Validated<Policy> loaded = load_policy_file(file);
  ASSERT_TRUE(loaded.ok()) << format(loaded.errors);
  Caps caps = default_caps();
  caps.allow_host_network = true;
  Compiled compiled = compile(*loaded.value, caps);
  EXPECT_EQ(compiled.spec.network, sandbox::NetworkMode::host);
  EXPECT_EQ(compiled.spec.seccomp.filter, loaded.value->seccomp_filter);
  EXPECT_NE(compiled.spec.seccomp.filter, nullptr);
}

TEST(Compile, BindWorkspaceFollowsThePolicysAccess) {
  Compiled tester = compile(builtin("tester"), default_caps());
  sandbox::Spec read_only =
      bind_workspace(tester.spec, "/srv/agentd/ws/1", tester.effective.workspace);
  const sandbox::Mount* workspace = mount_at(read_only, "/workspace");
  ASSERT_NE(workspace, nullptr);
  EXPECT_EQ(workspace->type, sandbox::MountType::ro_bind);
  EXPECT_EQ(workspace->source, "/srv/agentd/ws/1");
  EXPECT_EQ(std::count_if(read_only.mounts.begin(), read_only.mounts.end(),
                          [](const sandbox::Mount& m) { return m.target == "/workspace"; }),
            1);

  Compiled coder = compile(builtin("coder"), default_caps());
  sandbox::Spec writable = bind_workspace(coder.spec, "/srv/ws", coder.effective.workspace);
  EXPECT_EQ(mount_at(writable, "/workspace")->type, sandbox::MountType::rw_bind);
}

TEST(Compile, TheEffectivePolicyLoadsBackToItself) {
  for (const std::string& name : builtin_policy_names()) {
    Compiled compiled = compile(builtin(name), default_caps());
    nlohmann::json effective = to_json(compiled.effective);
    Policy again = load_ok(effective.dump());
    EXPECT_EQ(to_json(again), effective) << name;
  }
  Policy fractional = load_ok(R"({"limits": {"cpu": 0.25, "wall_time": 1.5, "output": 1000}})");
  EXPECT_EQ(to_json(load_ok(to_json(fractional).dump())), to_json(fractional));
}

}  // namespace
}  // namespace policies::testing
