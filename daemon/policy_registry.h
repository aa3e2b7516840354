// Every policy the daemon serves, loaded, validated and compiled against the server's caps:
// the built-in ones and every *.json in the configured directories (a directory's file with
// a built-in's name replaces it). Immutable once built; SIGHUP builds a new one and swaps it,
// so a running task keeps the policies it started with.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "policies/caps.h"
#include "policies/compile.h"

namespace agentd {

class PolicyRegistry {
 public:
  // Errors list every diagnostic of every policy, one per line.
  static base::Expected<std::shared_ptr<const PolicyRegistry>> load(
      const std::vector<std::string>& dirs, const policies::Caps& caps);

  // Null for an unknown name.
  std::shared_ptr<const policies::Compiled> find(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, std::shared_ptr<const policies::Compiled>, std::less<>> compiled_;
};

}  // namespace agentd
