// What the repo module's tests share: files read and written whole, and the git command line,
// run with a fixed identity and default branch: the control every test holds libgit2 against
// (it builds the repositories, and shows that what libgit2 refuses to run, git would run).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace repo::test_support {

inline std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

inline void write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// stdout of a shell command, without the last newline.
inline std::string output(const std::string& command) {
  std::string text;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return text;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) text.append(buffer, n);
  ::pclose(pipe);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// `git ARGS` through the shell; the test fails when git does.
inline void git(const std::string& args) {
  const std::string command =
      "git -c user.name=t -c user.email=t@t -c init.defaultBranch=main " + args;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

}  // namespace repo::test_support
