// Every agentbox example in docs/sandbox.md runs and ends with the status its comment gives.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace {

struct Example {
  std::string command;  // starts with "agentbox "
  std::string status;   // from the "# status: ..." line under it
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
    if (line.rfind("agentbox ", 0) == 0) found.push_back({line, ""});
    if (line.rfind("# status: ", 0) == 0 && !found.empty()) found.back().status = line.substr(10);
  }
  return found;
}

std::string run(const std::string& command) {
  const std::string full = "cd " AGENTD_SOURCE_DIR " && " AGENTBOX_PATH +
                           command.substr(std::string("agentbox").size()) + " 2>/dev/null";
  FILE* pipe = ::popen(full.c_str(), "r");
  std::string out;
  std::array<char, 4096> buffer;
  while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  ::pclose(pipe);
  return out;
}

TEST(SandboxDocs, EveryAgentboxExampleEndsAsDocumented) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (user namespaces with id maps and cgroups)";
  const auto examples = examples_in(AGENTD_SOURCE_DIR "/docs/sandbox.md");
  ASSERT_GE(examples.size(), 5u);
  for (const Example& e : examples) {
    ASSERT_FALSE(e.status.empty()) << "no \"# status:\" line under: " << e.command;
    const std::string out = run(e.command);
    auto json = nlohmann::json::parse(out, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << e.command << " printed: " << out;
    EXPECT_EQ(json["status"], e.status) << e.command << " printed: " << out;
  }
}

}  // namespace
