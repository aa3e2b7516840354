// Shared by the policies tests: temporary directories and short ways to load policies.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "policies/compile.h"
#include "policies/loader.h"

namespace policies::testing {

// A fresh directory under /tmp, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "policies-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `text` to `name` under this directory and returns the full path.
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::filesystem::path file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

 private:
  std::filesystem::path path_;
};

// Loads `text` as "test.json" (no file references) and fails the test on any error.
inline Policy load_ok(const std::string& text, const LoadOptions& options = {}) {
  Validated<Policy> loaded = load_policy_text(text, "test.json", options);
  EXPECT_TRUE(loaded.ok()) << format(loaded.errors);
  return loaded.ok() ? *loaded.value : Policy{};
}

// The diagnostics for `text` loaded as "test.json"; fails the test if it loads.
inline Diagnostics load_errors(const std::string& text, const LoadOptions& options = {}) {
  Validated<Policy> loaded = load_policy_text(text, "test.json", options);
  EXPECT_FALSE(loaded.ok()) << "expected errors, but it loaded";
  return loaded.errors;
}

inline Policy builtin(const std::string& name) {
  Validated<Policy> loaded = load_policy_named(name);
  EXPECT_TRUE(loaded.ok()) << format(loaded.errors);
  return loaded.ok() ? *loaded.value : Policy{};
}

}  // namespace policies::testing
