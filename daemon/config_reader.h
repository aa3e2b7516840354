// The operator's configuration read with base::JsonFields, every error collected and named by
// its JSON pointer ("/tenants/1/quotas/agents: expected an integer from 0 to 1000000, got -1"),
// so that `agentd --check-config` reports all mistakes in one pass. A value in error leaves its
// default in place, so that reading goes on to the next key.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/json_fields.h"

namespace agentd::config {

class Reader {
 public:
  // `object` must outlive the reader; `pointer` is its JSON pointer ("" for the document). A
  // value that is not an object is an error at once; the getters then leave their outputs.
  Reader(const nlohmann::json& object, std::string pointer, std::vector<std::string>& errors);

  bool is_object() const { return fields_.object().is_object(); }
  // An error for each key not in `known`.
  void only(std::initializer_list<std::string_view> known);

  const nlohmann::json* find(std::string_view key) const { return fields_.find(key); }
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

  // "<pointer of key>: <message>", for the checks only the caller knows.
  void error(std::string_view key, const std::string& message);
  // "<pointer of key>/<index>: <message>", for one entry of a list.
  void error(std::string_view key, size_t index, const std::string& message);

 private:
  template <class T>
  bool store(base::FieldResult<T> read, T& out);

  base::JsonFields fields_;
  std::vector<std::string>& errors_;
};

}  // namespace agentd::config
