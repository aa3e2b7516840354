#include "daemon/policy_registry.h"

#include <set>
#include <system_error>

#include "policies/loader.h"

namespace agentd {
namespace {

// The names to load: built-ins, then each directory's *.json (sorted, so errors are stable).
base::Expected<std::set<std::string>> policy_names(const std::vector<std::string>& dirs) {
  std::set<std::string> names;
  for (const auto& name : policies::builtin_policy_names()) names.insert(name);
  for (const auto& dir : dirs) {
    std::error_code error;
    std::filesystem::directory_iterator it(dir, error);
    if (error) return base::Error{"policies.dirs: " + dir + ": " + error.message()};
    for (const auto& entry : it)
      if (entry.path().extension() == ".json") names.insert(entry.path().stem().string());
  }
  return names;
}

}  // namespace

base::Expected<std::shared_ptr<const PolicyRegistry>> PolicyRegistry::load(
    const std::vector<std::string>& dirs, const policies::Caps& caps) {
  auto names = policy_names(dirs);
  if (!names) return names.error();
  policies::LoadOptions options;
  for (const auto& dir : dirs) options.search_dirs.emplace_back(dir);
  auto registry = std::make_shared<PolicyRegistry>();
  policies::Diagnostics errors;
  for (const auto& name : *names) {
    auto loaded = policies::load_policy_named(name, options);
    if (!loaded.ok()) {
      errors.insert(errors.end(), loaded.errors.begin(), loaded.errors.end());
      continue;
    }
    registry->compiled_[name] =
        std::make_shared<const policies::Compiled>(policies::compile(*loaded.value, caps));
  }
  if (!errors.empty()) return policies::to_error(errors);
  return std::shared_ptr<const PolicyRegistry>(std::move(registry));
}

std::shared_ptr<const policies::Compiled> PolicyRegistry::find(std::string_view name) const {
  auto it = compiled_.find(name);
  return it == compiled_.end() ? nullptr : it->second;
}

std::vector<std::string> PolicyRegistry::names() const {
  std::vector<std::string> names;
  for (const auto& [name, compiled] : compiled_) names.push_back(name);
  return names;
}

}  // namespace agentd
