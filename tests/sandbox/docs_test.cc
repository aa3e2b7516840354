// Every agentbox example in docs/sandbox.md runs and ends with the status its comment gives.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/fixtures/docs_examples.h"
#include "tests/fixtures/host_probe.h"

namespace {

TEST(SandboxDocs, EveryAgentboxExampleEndsAsDocumented) {
  if (const std::string missing = agentd::host_probe::sandbox_prerequisites_missing();
      !missing.empty())
    GTEST_SKIP() << "sandboxes need " << missing;
  // What the examples run and bind.
  for (const char* path : {"/usr/bin/python3", "/usr/share/common-licenses"}) {
    if (::access(path, F_OK) != 0) GTEST_SKIP() << "the examples need " << path;
  }
  const auto examples =
      docs_examples::in(AGENTD_SOURCE_DIR "/docs/sandbox.md", "agentbox ", "# status: ");
  ASSERT_GE(examples.size(), 5u);
  for (const auto& e : examples) {
    ASSERT_FALSE(e.expect.empty()) << "no \"# status:\" line under: " << e.command;
    const std::string out =
        docs_examples::run("cd " AGENTD_SOURCE_DIR " && " AGENTBOX_PATH +
                           e.command.substr(std::string("agentbox").size()) + " 2>/dev/null")
            .out;
    auto json = nlohmann::json::parse(out, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << e.command << " printed: " << out;
    EXPECT_EQ(json["status"], e.expect) << e.command << " printed: " << out;
  }
}

}  // namespace
