// Shared by the sandbox tests: one Runner per test binary, or a skip that says what is missing
// (a failure where the host has everything sandboxes need).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "sandbox/runner.h"
#include "tests/fixtures/host_probe.h"

namespace sandbox::testing {

// Null when sandboxes cannot run here; `why` then says what is missing.
inline std::shared_ptr<Runner> shared_runner(std::string& why) {
  static std::string reason;
  static std::shared_ptr<Runner> runner = [] {
    if (::geteuid() != 0) {
      reason = "needs root (user namespaces with id maps and cgroups)";
      return std::shared_ptr<Runner>();
    }
    auto created = Runner::create();
    if (!created) {
      reason = created.error().message;
      return std::shared_ptr<Runner>();
    }
    return created.value();
  }();
  why = reason;
  return runner;
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    runner_ = shared_runner(why);
    if (!runner_) AGENTD_SKIP_UNLESS_HOST_CAN_SANDBOX(why);
  }

  // Runs `script` with /bin/sh -c in a default sandbox, after `adjust` edits the Spec.
  template <class Adjust>
  Result sh(const std::string& script, Adjust adjust) {
    Spec spec = default_spec({"/bin/sh", "-c", script});
    adjust(spec);
    return runner_->run(std::move(spec));
  }
  Result sh(const std::string& script) {
    return sh(script, [](Spec&) {});
  }

  std::shared_ptr<Runner> runner_;
};

}  // namespace sandbox::testing
