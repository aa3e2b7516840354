// A throwaway workspace directory beside an "outside" one holding a secret, with symlinks out
// of the workspace planted as a hostile sandbox would: for the coding tools' tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "agents/tools/workspace.h"

namespace agents::tools::testing {

class TempWorkspace : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/agentd-code-tools-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    base_ = pattern;
    dir_ = base_ / "ws";
    outside_ = base_ / "outside";
    std::filesystem::create_directories(dir_);
    std::filesystem::create_directories(outside_);
    std::ofstream(outside_ / "secret.txt") << "secret\n";
    std::filesystem::create_symlink(outside_ / "secret.txt", dir_ / "secret_link");
    std::filesystem::create_directory_symlink(outside_, dir_ / "out");
    auto opened = Workspace::open(dir_.string());
    ASSERT_TRUE(opened) << opened.error().message;
    workspace_.emplace(std::move(*opened));
  }
  void TearDown() override { std::filesystem::remove_all(base_); }  // never follows symlinks

  void put(const std::string& path, const std::string& content) const {
    std::filesystem::create_directories((dir_ / path).parent_path());
    std::ofstream(dir_ / path, std::ios::binary) << content;
  }
  std::string get(const std::string& path) const { return slurp(dir_ / path); }
  std::string secret() const { return slurp(outside_ / "secret.txt"); }
  const Workspace& ws() const { return *workspace_; }

  static std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::filesystem::path base_, dir_, outside_;
  std::optional<Workspace> workspace_;
};

}  // namespace agents::tools::testing
