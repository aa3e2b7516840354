// Every `agentd gpu` example in docs/gpu.md exits and prints as its "# exit: N, prints: TEXT"
// line under it says.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "tests/fixtures/docs_examples.h"
#include "tests/fixtures/host_probe.h"

namespace {

TEST(GpuDocs, EveryAgentdGpuExampleExitsAndPrintsAsDocumented) {
  if (const std::string missing = agentd::host_probe::sandbox_prerequisites_missing();
      !missing.empty())
    GTEST_SKIP() << "contend runs sandboxes, which need " << missing;
  const auto examples =
      docs_examples::in(AGENTD_SOURCE_DIR "/docs/gpu.md", "agentd gpu ", "# exit: ");
  ASSERT_GE(examples.size(), 3u);
  for (const auto& e : examples) {
    const size_t comma = e.expect.find(", prints: ");
    ASSERT_NE(comma, std::string::npos) << "no \"# exit: N, prints: TEXT\" under: " << e.command;
    const int status = std::stoi(e.expect.substr(0, comma));
    const std::string prints = e.expect.substr(comma + 10);
    auto ran = docs_examples::run(AGENTD_DAEMON + e.command.substr(6) + " 2>&1");
    EXPECT_EQ(ran.status, status) << e.command << " printed:\n" << ran.out;
    EXPECT_NE(ran.out.find(prints), std::string::npos) << e.command << " printed:\n" << ran.out;
  }
}

}  // namespace
