// Every `agentd gpu` example in docs/gpu.md exits and prints as its "# exit: N, prints: TEXT"
// line under it says.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

struct Example {
  std::string command;  // starts with "agentd gpu "
  int exit_status = -1;
  std::string prints;
};

std::vector<Example> examples_in(const std::string& path) {
  std::ifstream in(path);
  std::vector<Example> found;
  bool in_sh = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("```", 0) == 0) {
      in_sh = line == "```sh";
      continue;
    }
    if (!in_sh) continue;
    if (line.rfind("agentd gpu ", 0) == 0) found.push_back({line, -1, ""});
    const std::string marker = "# exit: ";
    if (line.rfind(marker, 0) == 0 && !found.empty()) {
      size_t comma = line.find(", prints: ");
      found.back().exit_status = std::stoi(line.substr(marker.size(), comma - marker.size()));
      if (comma != std::string::npos) found.back().prints = line.substr(comma + 10);
    }
  }
  return found;
}

struct Outcome {
  int status = -1;
  std::string out;
};

Outcome run(const std::string& command) {
  const std::string full =
      std::string(AGENTD_DAEMON) + command.substr(std::string("agentd").size()) + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  Outcome result;
  std::array<char, 4096> buffer;
  while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    result.out.append(buffer.data(), n);
  }
  int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(GpuDocs, EveryAgentdGpuExampleExitsAndPrintsAsDocumented) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (contend runs sandboxes)";
  const auto examples = examples_in(AGENTD_SOURCE_DIR "/docs/gpu.md");
  ASSERT_GE(examples.size(), 3u);
  for (const Example& e : examples) {
    ASSERT_GE(e.exit_status, 0) << "no \"# exit: N, prints: TEXT\" line under: " << e.command;
    Outcome ran = run(e.command);
    EXPECT_EQ(ran.status, e.exit_status) << e.command << " printed:\n" << ran.out;
    EXPECT_NE(ran.out.find(e.prints), std::string::npos) << e.command << " printed:\n" << ran.out;
  }
}

}  // namespace
