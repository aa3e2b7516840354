// Typed reading of the operator's configuration JSON with every error collected and named by
// its key path ("tenants[1].quotas.agents: expected an integer from 0 to 100000, got -1"),
// so that `agentd --check-config` reports all mistakes in one pass.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace agentd::config {

class Reader {
 public:
  // `object` must outlive the reader; `path` is its key path ("" for the document).
  Reader(const nlohmann::json& object, std::string path, std::vector<std::string>& errors);

  // False (with an error) when the value is not an object; the getters then do nothing.
  bool is_object() const { return object_.is_object(); }
  // Errors for keys not in `known`.
  void only(std::initializer_list<std::string_view> known);

  const nlohmann::json* find(std::string_view key) const;
  std::string key_path(std::string_view key) const;
  // A reader for the object at `key`; an absent key reads as an empty object.
  Reader child(std::string_view key);

  void string(std::string_view key, std::string& out, bool non_empty = false);
  void boolean(std::string_view key, bool& out);
  void count(std::string_view key, uint64_t& out, uint64_t min, uint64_t max);
  void count(std::string_view key, uint32_t& out, uint32_t min, uint32_t max);
  void number(std::string_view key, double& out, double min, double max);
  // Seconds in the file (fractions allowed), milliseconds in the program.
  void seconds(std::string_view key, std::chrono::milliseconds& out, double min, double max);
  void strings(std::string_view key, std::vector<std::string>& out);

  void error(std::string_view key, const std::string& message);

 private:
  const nlohmann::json& object_;
  std::string path_;
  std::vector<std::string>& errors_;
};

// A short rendering of a configuration value for "got ...".
std::string shown(const nlohmann::json& value);

}  // namespace agentd::config
